"""Every intake request is written down (IntakeRecord) before it is judged; these move its
outcome along."""

from __future__ import annotations

from dataclasses import dataclass

from dealers.models import Dealer
from leads.intake.validation import text_clean
from leads.models import IntakeRecord, Lead


class IntakeTemporaryFailure(Exception):
    """Something outside LeadFlow failed (a portal's API); the record stays replayable."""


class IntakeRefused(Exception):
    """A portal's API refused for good until someone fixes the set-up (an expired token):
    retrying changes nothing, so the portal gets its 2xx and the record waits for a replay."""


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    outcome: str  # IntakeRecord.Outcome

    @property
    def status_code(self) -> int:
        return 201 if self.outcome == IntakeRecord.Outcome.CREATED else 200


def intake_record_start(
    *,
    dealer: Dealer | None,
    dealer_slug: str,
    source: str,
    fmt: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    body_size: int | None = None,
) -> IntakeRecord:
    """Write the request down before anything judges it (autocommitted on its own)."""
    return IntakeRecord.objects.create(
        dealer=dealer,
        dealer_slug=dealer_slug[:50],
        source=source,
        format=fmt,
        content_type=content_type[:200],
        headers=headers,
        body=body,
        body_size=len(body) if body_size is None else body_size,
    )


def intake_record_reject(
    *,
    record: IntakeRecord,
    status_code: int,
    error: str,
    errors: dict[str, list[str]] | None = None,
) -> IntakeRecord:
    record.outcome = IntakeRecord.Outcome.REJECTED
    record.status_code = status_code
    record.error = error
    record.errors = errors or {}
    record.save(update_fields=["outcome", "status_code", "error", "errors"])
    return record


def intake_record_fail(*, record: IntakeRecord, error: str) -> IntakeRecord:
    record.outcome = IntakeRecord.Outcome.FAILED
    record.status_code = 503
    record.error = text_clean(error)
    record.save(update_fields=["outcome", "status_code", "error"])
    return record


def intake_record_settle(
    *, record: IntakeRecord, outcome: str, status_code: int, lead: Lead | None = None
) -> IntakeRecord:
    """Close a record that did not go through lead_receive (nothing new to store)."""
    record.outcome = outcome
    record.status_code = status_code
    record.lead = lead
    record.error = ""
    record.errors = {}
    record.save(update_fields=["outcome", "status_code", "lead", "error", "errors"])
    return record
