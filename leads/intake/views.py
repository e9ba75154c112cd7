"""Lead webhooks. Every request is written down before it is judged (IntakeRecord)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealers.inventory import (
    InventoryInvalid,
    InventoryUnreadable,
    feed_format,
    inventory_import,
    inventory_parse,
)
from dealers.models import Dealer
from leads.intake.meta import meta_notification_receive
from leads.intake.parsers import PayloadError
from leads.intake.parsers.google_ads import parse_google_ads, without_google_key
from leads.intake.parsers.meta import meta_signature_valid
from leads.intake.pipeline import (
    PARSERS,
    IntakeOutcome,
    intake_failed,
    intake_rejected,
    intake_respond,
    intake_run,
    intake_too_large,
)
from leads.intake.records import (
    intake_record_fail,
    intake_record_reject,
    intake_record_settle,
    intake_record_start,
)
from leads.models import IntakeRecord

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


def read_body(request: HttpRequest, limit: int | None = None) -> tuple[bytes, int]:
    """At most the allowed size plus one byte, and the size the client announced or sent."""
    limit = limit or settings.LEADFLOW_MAX_BODY_BYTES
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
    # compare_digest refuses non-ASCII text with a TypeError: such a header is simply wrong.
    given = header.strip().lower().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(expected.encode(), given)


def credentials_refusal(request: HttpRequest, dealer: Dealer, body: bytes) -> str:
    """Why the dealer's bearer token or body signature does not check out ("" when they do)."""
    if not dealer.webhook_token_matches(bearer_token(request)):
        return "missing or wrong bearer token"
    if dealer.signing_secret and not signature_valid(
        dealer.signing_secret, body, request.headers.get("X-LeadFlow-Signature", "")
    ):
        return "missing or wrong X-LeadFlow-Signature"
    return ""


def answer(outcome: IntakeOutcome) -> JsonResponse:
    response = JsonResponse(outcome.body, status=outcome.status_code)
    if outcome.retry_after is not None:
        response["Retry-After"] = str(outcome.retry_after)
    return response


def rejected(
    record: IntakeRecord, status: int, error: str, errors: dict[str, list[str]] | None = None
) -> JsonResponse:
    return answer(intake_rejected(record, status, error, errors))


def body_format(request: HttpRequest) -> str:
    content_type = request.content_type or ""
    return "adf" if content_type in XML_TYPES else "json"


def intake_guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No webhook answers 500: whatever fails unforeseen is recorded and answered with 503.

    A failure after the record exists leaves it ``failed`` with the error (replayable); one
    before it (the database gone while opening it) answers 503 so the portal sends it again.
    A dead database connection is dropped first, so the record can still be written.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Exception as exc:
            record = getattr(request, "_intake_record", None)
            log.exception("intake %s failed", record.pk if record is not None else "(no record)")
            if record is not None:
                try:
                    if not connection.in_atomic_block:
                        # Outside a transaction only: closing inside one would break it.
                        connection.close_if_unusable_or_obsolete()
                    intake_record_fail(record=record, error=f"{type(exc).__name__}: {exc}")
                except Exception:
                    log.exception("intake %s: could not record the failure", record.pk)
            return answer(
                intake_failed(record, "temporary failure; the request was recorded, please retry")
            )

    return wrapper


@csrf_exempt
@intake_guarded
@require_POST
def lead_webhook(request: HttpRequest, dealer_slug: str) -> JsonResponse:
    fmt = body_format(request)
    record, dealer, body, size = intake_open(
        request, dealer_slug, source=fmt if fmt != "json" else "api", fmt=fmt
    )
    if dealer is None:
        return rejected(record, 404, f"no dealer {dealer_slug!r}")
    if refusal := credentials_refusal(request, dealer, body):
        return rejected(record, 401, refusal)
    if size > settings.LEADFLOW_MAX_BODY_BYTES:
        return answer(intake_too_large(record, size))
    parse = PARSERS.get(fmt)
    if parse is None:
        return rejected(record, 415, f"no reader for {request.content_type!r}")
    return answer(
        intake_run(record=record, dealer=dealer, parse=parse, body=body, default_source=fmt)
    )


def intake_open(
    request: HttpRequest,
    dealer_slug: str,
    *,
    source: str,
    fmt: str,
    limit: int | None = None,
    redact: Callable[[bytes], bytes] | None = None,
) -> tuple[IntakeRecord, Dealer | None, bytes, int]:
    """Read the body (bounded) and write the request down before anything judges it; secrets
    in the body (``redact``) are never written."""
    limit = limit or settings.LEADFLOW_MAX_BODY_BYTES
    body, size = read_body(request, limit)
    dealer = Dealer.objects.filter(slug=dealer_slug).first()
    # Kept on the request: the 500 guard marks the record failed if anything below raises.
    record = request._intake_record = intake_record_start(  # type: ignore[attr-defined]
        dealer=dealer,
        dealer_slug=dealer_slug,
        source=source,
        fmt=fmt,
        body=(redact or bytes)(body[:limit]),
        content_type=request.content_type or "",
        headers=recorded_headers(request),
        body_size=size,
    )
    return record, dealer, body, size


# --- Google Ads lead forms --------------------------------------------------------------------


def google_key_matches(dealer: Dealer, key: str) -> bool:
    # An empty key on either side never matches: a dealer without one has not set up the form.
    return dealer.google_key_matches(key)


@csrf_exempt
@intake_guarded
@require_POST
def google_ads_webhook(request: HttpRequest, dealer_slug: str) -> JsonResponse:
    """Google Ads lead form extension webhook; authenticated by ``google_key`` in the body."""
    record, dealer, body, size = intake_open(
        request, dealer_slug, source="google-ads", fmt="google-ads", redact=without_google_key
    )
    if dealer is None:
        return rejected(record, 404, f"no dealer {dealer_slug!r}")
    if size > settings.LEADFLOW_MAX_BODY_BYTES:
        return answer(intake_too_large(record, size))
    try:
        key, lead = parse_google_ads(body)
    except PayloadError as exc:
        return rejected(record, 400, exc.message)
    if not google_key_matches(dealer, key):
        return rejected(record, 401, "missing or wrong google_key")
    outcome = intake_run(
        record=record,
        dealer=dealer,
        parse=lambda _body: lead,
        body=body,
        default_source="google-ads",
    )
    # Google wants exactly a 200 with an empty JSON object, for new leads and redeliveries alike.
    return JsonResponse({}, status=200) if outcome.status_code < 300 else answer(outcome)


# --- Meta Lead Ads ------------------------------------------------------------------------------


@csrf_exempt
@intake_guarded
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest, dealer_slug: str) -> HttpResponse:
    if request.method == "GET":
        return meta_verify(request, dealer_slug)
    record, dealer, body, size = intake_open(request, dealer_slug, source="meta", fmt="meta")
    if dealer is None:
        return rejected(record, 404, f"no dealer {dealer_slug!r}")
    # Size first: the signature covers the whole body, which is not read past the limit.
    if size > settings.LEADFLOW_MAX_BODY_BYTES:
        return answer(intake_too_large(record, size))
    if not meta_signature_valid(
        body, request.headers.get("X-Hub-Signature-256"), settings.META_APP_SECRET
    ):
        return rejected(record, 401, "missing or wrong X-Hub-Signature-256")
    return answer(
        intake_respond(
            record=record,
            receive=lambda: meta_notification_receive(record=record, dealer=dealer, body=body),
        )
    )


@require_GET
def meta_verify(request: HttpRequest, dealer_slug: str) -> HttpResponse:
    """Meta's subscription handshake: echo the challenge when the verify token is the dealer's."""
    params = request.GET
    # Recorded without the token itself, so support can see why a subscription did not verify.
    shown = {k: v[:200] for k, v in params.items() if k != "hub.verify_token"}
    dealer = Dealer.objects.filter(slug=dealer_slug).first()
    record = intake_record_start(
        dealer=dealer,
        dealer_slug=dealer_slug,
        source="meta",
        fmt="meta-verify",
        body=urlencode(shown).encode(),
        content_type="",
        headers=recorded_headers(request),
    )
    token = params.get("hub.verify_token", "")
    if (
        dealer is None
        or params.get("hub.mode") != "subscribe"
        or not dealer.meta_verify_token_matches(token)
    ):
        intake_record_reject(record=record, status_code=403, error="verification refused")
        return HttpResponse("verification refused", status=403, content_type="text/plain")
    intake_record_settle(record=record, outcome=IntakeRecord.Outcome.IGNORED, status_code=200)
    return HttpResponse(params.get("hub.challenge", ""), content_type="text/plain")


# --- Inventory feed ------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def inventory_webhook(request: HttpRequest, dealer_slug: str) -> JsonResponse:
    """The dealer's stock, JSON or CSV; applied all or nothing, idempotent per car."""
    fmt = feed_format(request.content_type or "")
    limit = settings.LEADFLOW_MAX_INVENTORY_BYTES
    record, dealer, body, size = intake_open(
        request, dealer_slug, source="inventory", fmt=f"inventory-{fmt or 'unknown'}", limit=limit
    )
    if dealer is None:
        return rejected(record, 404, f"no dealer {dealer_slug!r}")
    if refusal := credentials_refusal(request, dealer, body):
        return rejected(record, 401, refusal)
    if size > limit:
        return answer(intake_too_large(record, size, limit))
    if fmt is None:
        return rejected(record, 415, f"no reader for {request.content_type!r}; send JSON or CSV")
    try:
        rows, complete = inventory_parse(body, fmt=fmt)
        complete = complete or request.GET.get("complete") in ("1", "true")
        result = inventory_import(dealer=dealer, rows=rows, complete=complete)
    except InventoryUnreadable as exc:
        return rejected(record, 400, exc.message)
    except InventoryInvalid as exc:
        return rejected(record, 422, "invalid inventory; nothing was changed", exc.errors)
    except Exception as exc:
        log.exception("inventory intake %s failed", record.pk)
        intake_record_fail(record=record, error=f"{type(exc).__name__}: {exc}")
        return answer(
            intake_failed(record, "internal error; the request was recorded, nothing was changed")
        )
    intake_record_settle(record=record, outcome=IntakeRecord.Outcome.IMPORTED, status_code=200)
    return JsonResponse({**result.as_json(), "intake_id": record.pk}, status=200)
