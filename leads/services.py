from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, Salesperson
from dealers.services import dealer_lock, lead_route
from leads.models import IllegalMove, IntakeRecord, Lead, LeadEvent
from leads.parsers import PayloadError
from leads.parsers.json_lead import parse_json_lead
from leads.signals import lead_received
from leads.validation import LeadInvalid, clean_lead

log = logging.getLogger(__name__)

# A known customer asking again within this window joins their open lead instead of opening a
# second one (and a second salesperson calling the same person).
REPEAT_WINDOW = dt.timedelta(days=30)

# Readers for IntakeRecord.format, used on receipt and on replay. Portal adapters add theirs.
PARSERS: dict[str, Callable[[bytes], dict[str, Any]]] = {"json": parse_json_lead}


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
        body=body.decode("utf-8", errors="replace"),
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
    record.status_code = 500
    record.error = error
    record.save(update_fields=["outcome", "status_code", "error"])
    return record


def lead_receive(
    *, dealer: Dealer, data: dict[str, Any], record: IntakeRecord, default_source: str
) -> IntakeResult:
    """Store a lead exactly once, or join the customer's open lead, and route it.

    Raises LeadInvalid (422) before touching the database when the values are unusable.
    """
    fields = clean_lead(data, region=dealer.country)
    fields["source"] = fields["source"] or default_source
    now = timezone.now()
    with transaction.atomic():
        # One intake at a time per dealer: duplicates, repeat inquiries and the round robin are
        # then decided on a consistent view, however many copies arrive at once.
        dealer_lock(dealer)
        result = _lead_store(dealer=dealer, fields=fields, raw=data, record=record, now=now)
        record.outcome = result.outcome
        record.status_code = result.status_code
        record.lead = result.lead
        record.source = fields["source"]
        record.external_id = fields["external_id"]
        record.error = ""
        record.errors = {}
        record.save(
            update_fields=[
                "outcome",
                "status_code",
                "lead",
                "source",
                "external_id",
                "error",
                "errors",
            ]
        )
    return result


def _lead_store(
    *,
    dealer: Dealer,
    fields: dict[str, Any],
    raw: dict[str, Any],
    record: IntakeRecord,
    now: dt.datetime,
) -> IntakeResult:
    source, external_id = fields["source"], fields["external_id"]
    if external_id:
        seen = (
            IntakeRecord.objects.filter(
                dealer=dealer, source=source, external_id=external_id, lead__isnull=False
            )
            .exclude(pk=record.pk)
            .select_related("lead")
            .first()
        )
        if seen is not None:
            return IntakeResult(seen.lead, IntakeRecord.Outcome.DUPLICATE)

    customer = Lead.objects.for_dealer(dealer).same_customer(
        phone=fields["phone"], email=fields["email"]
    )
    open_lead = (
        customer.open()
        .filter(received_at__gte=now - REPEAT_WINDOW)
        .order_by("-received_at")
        .first()
    )
    if open_lead is not None:
        _lead_join(lead=open_lead, fields=fields, record=record, now=now)
        return IntakeResult(open_lead, IntakeRecord.Outcome.JOINED)

    previous = customer.exclude(assigned_to=None).select_related(
        "assigned_to__user", "assigned_to__dealer"
    )
    previous = previous.order_by("-received_at").first()
    lead = Lead.objects.create(
        dealer=dealer, received_at=now, sources=[source], raw_payload=raw, **fields
    )
    lead.log(
        LeadEvent.Kind.RECEIVED,
        at=now,
        data={"source": source, "external_id": external_id, "intake": record.pk},
    )
    lead_assign(lead=lead, when=now, returning_to=previous.assigned_to if previous else None)
    lead_received.send(sender=Lead, lead=lead, repeat=False)
    return IntakeResult(lead, IntakeRecord.Outcome.CREATED)


def _lead_join(
    *, lead: Lead, fields: dict[str, Any], record: IntakeRecord, now: dt.datetime
) -> None:
    source = fields["source"]
    changed = ["updated_at"]
    if source not in lead.sources:
        lead.sources = [*lead.sources, source]
        changed.append("sources")
    # Fill in what the first inquiry lacked, never overwrite what the customer told us before.
    for name in ("phone", "email", "first_name", "last_name", "vehicle_make", "vehicle_model"):
        if fields.get(name) and not getattr(lead, name):
            setattr(lead, name, fields[name])
            changed.append(name)
    lead.save(update_fields=changed)
    lead.log(
        LeadEvent.Kind.REPEAT_INQUIRY,
        at=now,
        note=fields["message"],
        data={
            "source": source,
            "external_id": fields["external_id"],
            "intake": record.pk,
            "vehicle": " ".join(p for p in (fields["vehicle_make"], fields["vehicle_model"]) if p),
        },
    )
    lead_received.send(sender=Lead, lead=lead, repeat=True)


def lead_assign(*, lead: Lead, when: dt.datetime, returning_to=None) -> None:
    routing = lead_route(dealer=lead.dealer, when=when, returning_to=returning_to)
    lead.assigned_to = routing.salesperson
    lead.bdc = routing.salesperson is None
    lead.bdc_reason = routing.bdc_reason
    lead.save(update_fields=["assigned_to", "bdc", "bdc_reason", "updated_at"])
    if routing.salesperson is not None:
        lead.log(
            LeadEvent.Kind.ASSIGNED,
            at=when,
            data={
                "to": routing.salesperson.pk,
                "name": routing.salesperson.display_name,
                "returning": routing.salesperson == returning_to,
            },
        )
    else:
        lead.log(LeadEvent.Kind.BDC, at=when, data={"reason": routing.bdc_reason})


def intake_record_replay(*, record: IntakeRecord) -> IntakeResult:
    """Run a stored request again (typically after an admin corrected its body).

    Authentication is not checked again: the request was recorded for a known dealer and the
    replay is an admin's decision.
    """
    if not record.replayable:
        raise ValueError(f"intake record {record.pk} cannot be replayed ({record.outcome})")
    parse = PARSERS.get(record.format)
    if parse is None:
        raise ValueError(f"no reader for format {record.format!r}")
    record.replayed_at = timezone.now()
    record.replay_count += 1
    record.save(update_fields=["replayed_at", "replay_count"])
    body = record.body.encode("utf-8")
    try:
        data = parse(body)
        return lead_receive(
            dealer=record.dealer, data=data, record=record, default_source=record.source
        )
    except PayloadError as exc:
        intake_record_reject(record=record, status_code=400, error=exc.message)
        raise
    except LeadInvalid as exc:
        intake_record_reject(record=record, status_code=422, error=str(exc), errors=exc.errors)
        raise


# --- The salesperson's queue and lead page: what people do to a lead by hand. ---------------

OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number")


class EvidenceMissing(Exception):
    """'Reached' and 'appointment' need a connected call, a reply or a note (issue 5)."""


def leads_visible_to(*, staff: Salesperson) -> QuerySet[Lead]:
    """Fails closed: a salesperson sees their own and unassigned leads, managers and BDC
    agents the whole dealer's."""
    leads = Lead.objects.filter(dealer_id=staff.dealer_id)
    if staff.sees_whole_dealer:
        return leads
    return leads.filter(Q(assigned_to=staff) | Q(assigned_to__isnull=True))


def lead_contact_evidence(*, lead: Lead) -> dict[str, Any] | None:
    """The latest two-way contact on the timeline: a call that connected or a reply."""
    events = lead.events.filter(kind__in=[LeadEvent.Kind.CALL, LeadEvent.Kind.INBOUND])
    for event in events.order_by("-at", "-id")[:50]:
        if event.kind == LeadEvent.Kind.INBOUND or _call_connected(event, lead.dealer):
            return {"kind": event.kind, "event": event.pk, "at": event.at.isoformat()}
    return None


def _call_connected(event: LeadEvent, dealer: Dealer) -> bool:
    data = event.data or {}
    if data.get("connected") or data.get("bridged") or data.get("reached"):
        return True
    duration = data.get("duration") or data.get("customer_duration") or 0
    try:
        return int(duration) >= dealer.reached_min_seconds and bool(data.get("bridged", True))
    except (TypeError, ValueError):
        return False


def _evidence(*, lead: Lead, note: str) -> dict[str, Any]:
    if lead.reached_at is not None:
        return {"kind": "reached", "at": lead.reached_at.isoformat()}
    found = lead_contact_evidence(lead=lead)
    if found is not None:
        return found
    if note.strip():
        return {"kind": "note", "note": note.strip()}
    raise EvidenceMissing(
        _(
            "There is no connected call or reply on the timeline yet. "
            "Add a note saying how you reached the customer."
        )
    )


def _locked(lead: Lead) -> Lead:
    # Two taps at once (or a tap racing the engine) must not both move the lead: the second
    # waits for the row and sees the first one's result.
    return Lead.objects.select_for_update().select_related("dealer").get(pk=lead.pk)


def _count_attempt(lead: Lead, at: dt.datetime) -> None:
    fields = ["attempt_count", "updated_at"]
    lead.attempt_count += 1
    if lead.first_attempt_at is None:
        lead.first_attempt_at = at
        fields.append("first_attempt_at")
    if not lead.first_channel:
        lead.first_channel = Lead.Channel.PHONE
        fields.append("first_channel")
    lead.save(update_fields=fields)


def lead_log_outcome(*, lead: Lead, by: Salesperson, outcome: str, note: str = "") -> Lead:
    """A call the salesperson made by hand, and how it went."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    with transaction.atomic():
        lead = _locked(lead)
        now = timezone.now()
        evidence = _evidence(lead=lead, note=note) if outcome == "reached" else None
        _count_attempt(lead, now)
        lead.log(LeadEvent.Kind.OUTCOME, by=by, note=note, at=now, data={"outcome": outcome})
        if outcome == "reached":
            if lead.status in (Lead.Status.NEW, Lead.Status.CONTACTING, Lead.Status.LOST):
                if lead.status == Lead.Status.LOST:
                    lead.move_to(Lead.Status.CONTACTING, by=by, at=now)
                lead.move_to(
                    Lead.Status.REACHED, by=by, note=note, at=now, data={"evidence": evidence}
                )
        elif lead.status == Lead.Status.NEW:
            lead.move_to(Lead.Status.CONTACTING, by=by, at=now)
    return lead


def lead_move(
    *, lead: Lead, by: Salesperson, status: str, note: str = "", reason: str = ""
) -> Lead:
    """Showed, sold, lost (with the dealer's reason) or a no-show back to reached."""
    with transaction.atomic():
        lead = _locked(lead)
        if status == Lead.Status.LOST and reason not in lead.dealer.lost_reasons:
            raise IllegalMove(_("Choose one of the dealer's reasons."))
        lead.move_to(status, by=by, note=note, reason=reason)
    return lead


def lead_no_show(*, lead: Lead, by: Salesperson, note: str = "") -> Lead:
    with transaction.atomic():
        lead = _locked(lead)
        if lead.status != Lead.Status.APPOINTMENT:
            raise IllegalMove(_("Only a lead with an appointment can miss it."))
        lead.log(LeadEvent.Kind.OUTCOME, by=by, note=note, data={"outcome": "no_show"})
        lead.move_to(Lead.Status.REACHED, by=by, note=note, data={"no_show": True})
    return lead


def lead_book_appointment(*, lead: Lead, by: Salesperson, at: dt.datetime, note: str = "") -> Lead:
    """Set (or move) the appointment. The caller asks the engine to confirm it after commit."""
    with transaction.atomic():
        lead = _locked(lead)
        now = timezone.now()
        if lead.status == Lead.Status.APPOINTMENT:
            previous = lead.appointment_at
            lead.appointment_at = at
            lead.save(update_fields=["appointment_at", "updated_at"])
            lead.log(
                LeadEvent.Kind.APPOINTMENT,
                by=by,
                note=note,
                at=now,
                data={
                    "at": at.isoformat(),
                    "moved_from": previous.isoformat() if previous else None,
                },
            )
            return lead
        if not lead.can_move_to(Lead.Status.APPOINTMENT):
            lead.move_to(Lead.Status.APPOINTMENT)  # raises IllegalMove with the message
        evidence = _evidence(lead=lead, note=note)
        lead.appointment_at = at
        lead.next_action = ""
        lead.next_action_due_at = None
        lead.save(update_fields=["appointment_at", "next_action", "next_action_due_at"])
        lead.move_to(Lead.Status.APPOINTMENT, by=by, note=note, at=now, data={"evidence": evidence})
        lead.log(LeadEvent.Kind.APPOINTMENT, by=by, at=now, data={"at": at.isoformat()})
    return lead


def lead_add_note(*, lead: Lead, by: Salesperson, note: str) -> LeadEvent:
    return lead.log(LeadEvent.Kind.NOTE, by=by, note=note.strip())


def lead_opt_out(*, lead: Lead, by: Salesperson) -> LeadEvent | None:
    with transaction.atomic():
        return _locked(lead).opt_out(by=by, via="salesperson")


def lead_reassign(*, lead: Lead, by: Salesperson, to: Salesperson | None) -> Lead:
    """A manager or BDC agent hands the lead to a salesperson, or to the BDC (``to=None``)."""
    if to is not None and to.dealer_id != lead.dealer_id:
        raise ValueError("salesperson of another dealer")
    with transaction.atomic():
        lead = _locked(lead)
        lead.assigned_to = to
        lead.bdc = to is None
        lead.bdc_reason = "" if to else "manual"
        lead.save(update_fields=["assigned_to", "bdc", "bdc_reason", "updated_at"])
        if to is not None:
            lead.log(
                LeadEvent.Kind.ASSIGNED,
                by=by,
                data={"to": to.pk, "name": to.display_name, "manual": True},
            )
        else:
            lead.log(LeadEvent.Kind.BDC, by=by, data={"reason": "manual"})
    return lead
