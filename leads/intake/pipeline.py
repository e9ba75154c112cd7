"""One intake request from its body to what the portal is told, on receipt and on replay."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from dealers.models import Dealer
from leadflow.lib.logcontext import log_context_bind
from leads.intake.meta import MetaFetchRefused, meta_notification_receive
from leads.intake.parsers import PayloadError
from leads.intake.parsers.adf import parse_adf
from leads.intake.parsers.adf_email import parse_adf_email
from leads.intake.parsers.google_ads import parse_google_ads
from leads.intake.parsers.json_lead import parse_json_lead
from leads.intake.records import (
    IntakeResult,
    IntakeTemporaryFailure,
    intake_record_fail,
    intake_record_reject,
)
from leads.intake.services import lead_receive
from leads.intake.validation import LeadInvalid
from leads.models import IntakeRecord

log = logging.getLogger(__name__)


def parse_google_ads_lead(body: bytes) -> dict[str, Any]:
    # The key was checked when the request arrived; a replay is an admin's decision.
    return parse_google_ads(body)[1]


# Readers for IntakeRecord.format, used on receipt and on replay. Portal adapters add theirs.
# Meta ("meta") is not here: its body names leads that must be fetched, see meta_notification_receive.
PARSERS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "json": parse_json_lead,
    "adf": parse_adf,
    "adf-email": parse_adf_email,
    "google-ads": parse_google_ads_lead,
}


def intake_record_replay(*, record: IntakeRecord) -> IntakeResult:
    """Run a stored request again (typically after an admin corrected its body).

    Authentication is not checked again: the request was recorded for a known dealer and the
    replay is an admin's decision.
    """
    if not record.replayable:
        raise ValueError(f"intake record {record.pk} cannot be replayed ({record.outcome})")
    parse = PARSERS.get(record.format)
    if parse is None and record.format != "meta":
        raise ValueError(f"no reader for format {record.format!r}")
    record.replayed_at = timezone.now()
    record.replay_count += 1
    record.save(update_fields=["replayed_at", "replay_count"])
    body = bytes(record.body)
    try:
        if parse is None:
            # A Meta notification only names its leads: a replay fetches them again.
            # The admin replaying sees the refusal itself: no email to the managers again.
            result = meta_notification_receive(
                record=record, dealer=record.dealer, body=body, alert=False
            )
            if record.outcome == IntakeRecord.Outcome.REJECTED:
                raise MetaFetchRefused(record.error)
            if result is None:
                raise ValueError(f"intake record {record.pk} names no Meta lead")
            return result
        data = parse(body)
        if record.dealer is None:
            raise ValueError(f"intake record {record.pk} names no dealer")
        return lead_receive(
            dealer=record.dealer, data=data, record=record, default_source=record.source
        )
    except PayloadError as exc:
        intake_record_reject(record=record, status_code=400, error=exc.message)
        raise
    except LeadInvalid as exc:
        intake_record_reject(record=record, status_code=422, error=str(exc), errors=exc.errors)
        raise
    except IntakeTemporaryFailure as exc:
        intake_record_fail(record=record, error=str(exc))
        raise


# --- what the portal is told ------------------------------------------------------------------

# Portals retry on 5xx; 503 with Retry-After says "not your fault, try again", and the
# record is kept for a replay either way.
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class IntakeOutcome:
    """What an intake request came to, as the portal is told it: a status and a JSON body
    (the webhooks answer with it; email intake only logs it, the record keeps the rest)."""

    status_code: int
    body: dict[str, Any]
    retry_after: int | None = None


def intake_rejected(
    record: IntakeRecord, status: int, error: str, errors: dict[str, list[str]] | None = None
) -> IntakeOutcome:
    intake_record_reject(record=record, status_code=status, error=error, errors=errors)
    body: dict[str, Any] = {"error": error, "intake_id": record.pk}
    if errors:
        body["errors"] = errors
    return IntakeOutcome(status, body)


def intake_too_large(record: IntakeRecord, size: int, limit: int | None = None) -> IntakeOutcome:
    limit = limit or settings.LEADFLOW_MAX_BODY_BYTES
    return intake_rejected(record, 413, f"body of {size} bytes is over the limit of {limit} bytes")


def intake_failed(record: IntakeRecord | None, error: str) -> IntakeOutcome:
    body: dict[str, Any] = {"error": error}
    if record is not None:
        body["intake_id"] = record.pk
    return IntakeOutcome(503, body, retry_after=RETRY_AFTER_SECONDS)


def intake_accepted(result: IntakeResult) -> IntakeOutcome:
    lead = result.lead
    log_context_bind(lead_id=lead.pk)
    body = {
        "id": lead.pk,
        "status": lead.status,
        "outcome": result.outcome,
        "assigned_to": lead.assigned_to.display_name if lead.assigned_to else None,
        "bdc": lead.bdc,
    }
    return IntakeOutcome(result.status_code, body)


def intake_run(
    *,
    record: IntakeRecord,
    dealer: Dealer,
    parse: Callable[[bytes], dict[str, Any]],
    body: bytes,
    default_source: str,
) -> IntakeOutcome:
    """Parse, validate and store; every way out leaves its outcome on the record."""

    def receive() -> IntakeResult:
        data = parse(body)
        source = data.get("source") if isinstance(data.get("source"), str) else default_source
        return lead_receive(dealer=dealer, data=data, record=record, default_source=source or "api")

    return intake_respond(record=record, receive=receive)


def intake_respond(
    *, record: IntakeRecord, receive: Callable[[], IntakeResult | None]
) -> IntakeOutcome:
    """Run ``receive`` and answer for it: 400 unreadable, 422 invalid, 503 recorded for replay."""
    try:
        result = receive()
    except PayloadError as exc:
        return intake_rejected(record, 400, exc.message)
    except LeadInvalid as exc:
        return intake_rejected(record, 422, "invalid lead", exc.errors)
    except IntakeTemporaryFailure as exc:
        log.warning("intake %s failed for now: %s", record.pk, exc)
        intake_record_fail(record=record, error=str(exc))
        return intake_failed(
            record, "a portal's API failed; the request was recorded and will be retried"
        )
    except Exception as exc:
        log.exception("intake %s failed", record.pk)
        intake_record_fail(record=record, error=f"{type(exc).__name__}: {exc}")
        return intake_failed(record, "internal error; the request was recorded and can be replayed")
    if result is None:
        return IntakeOutcome(200, {"outcome": record.outcome, "intake_id": record.pk})
    return intake_accepted(result)
