"""Lead webhooks. Every request is written down before it is judged (IntakeRecord)."""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dealers.models import Dealer
from leads.models import IntakeRecord
from leads.parsers import PayloadError
from leads.services import (
    PARSERS,
    IntakeResult,
    intake_record_fail,
    intake_record_reject,
    intake_record_start,
    lead_receive,
)
from leads.validation import LeadInvalid

log = logging.getLogger(__name__)

# Kept with the record for support; Authorization is deliberately not among them.
RECORDED_HEADERS = (
    "Content-Type",
    "Content-Length",
    "User-Agent",
    "X-Forwarded-For",
    "X-LeadFlow-Signature",
    "X-Hub-Signature-256",
    "X-Request-Id",
)
XML_TYPES = ("application/xml", "text/xml")


def read_body(request: HttpRequest) -> tuple[bytes, int]:
    """At most the allowed size plus one byte, and the size the client announced or sent."""
    limit = settings.LEADFLOW_MAX_BODY_BYTES
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    body = request.read(limit + 1)
    return body, max(announced, len(body))


def recorded_headers(request: HttpRequest) -> dict[str, str]:
    return {
        name: request.headers[name][:500] for name in RECORDED_HEADERS if name in request.headers
    }


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip().lower())


def rejected(
    record: IntakeRecord, status: int, error: str, errors: dict[str, list[str]] | None = None
) -> JsonResponse:
    intake_record_reject(record=record, status_code=status, error=error, errors=errors)
    body: dict = {"error": error, "intake_id": record.pk}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def accepted(result: IntakeResult) -> JsonResponse:
    lead = result.lead
    return JsonResponse(
        {
            "id": lead.pk,
            "status": lead.status,
            "outcome": result.outcome,
            "assigned_to": lead.assigned_to.display_name if lead.assigned_to else None,
            "bdc": lead.bdc,
        },
        status=result.status_code,
    )


def body_format(request: HttpRequest) -> str:
    content_type = request.content_type or ""
    return "adf" if content_type in XML_TYPES else "json"


@csrf_exempt
@require_POST
def lead_webhook(request: HttpRequest, dealer_slug: str) -> JsonResponse:
    body, size = read_body(request)
    dealer = Dealer.objects.filter(slug=dealer_slug).first()
    fmt = body_format(request)
    record = intake_record_start(
        dealer=dealer,
        dealer_slug=dealer_slug,
        source=fmt if fmt != "json" else "api",
        fmt=fmt,
        body=body[: settings.LEADFLOW_MAX_BODY_BYTES],
        content_type=request.content_type or "",
        headers=recorded_headers(request),
        body_size=size,
    )
    if dealer is None:
        return rejected(record, 404, f"no dealer {dealer_slug!r}")
    if not dealer.webhook_token_matches(bearer_token(request)):
        return rejected(record, 401, "missing or wrong bearer token")
    if dealer.signing_secret and not signature_valid(
        dealer.signing_secret, body, request.headers.get("X-LeadFlow-Signature", "")
    ):
        return rejected(record, 401, "missing or wrong X-LeadFlow-Signature")
    if size > settings.LEADFLOW_MAX_BODY_BYTES:
        return rejected(
            record,
            413,
            f"body of {size} bytes is over the limit of {settings.LEADFLOW_MAX_BODY_BYTES} bytes",
        )
    parse = PARSERS.get(fmt)
    if parse is None:
        return rejected(record, 415, f"no reader for {request.content_type!r}")
    return intake_run(record=record, dealer=dealer, parse=parse, body=body, default_source=fmt)


def intake_run(
    *, record: IntakeRecord, dealer: Dealer, parse, body: bytes, default_source: str
) -> JsonResponse:
    """Parse, validate and store; every way out leaves its outcome on the record."""
    try:
        data = parse(body)
    except PayloadError as exc:
        return rejected(record, 400, exc.message)
    default_source = data.get("source") if isinstance(data.get("source"), str) else default_source
    try:
        result = lead_receive(
            dealer=dealer, data=data, record=record, default_source=default_source or "api"
        )
    except LeadInvalid as exc:
        return rejected(record, 422, "invalid lead", exc.errors)
    except Exception as exc:
        log.exception("intake %s failed", record.pk)
        intake_record_fail(record=record, error=f"{type(exc).__name__}: {exc}")
        return JsonResponse(
            {
                "error": "internal error; the request was recorded and can be replayed",
                "intake_id": record.pk,
            },
            status=500,
        )
    return accepted(result)
