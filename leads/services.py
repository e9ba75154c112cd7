"""What people do to a lead by hand, from the queue and the lead page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, Salesperson
from leads.engine import engine_stop_on_commit
from leads.models import IllegalMove, Lead, LeadEvent, LeadQuerySet

OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number")


class EvidenceMissing(Exception):
    """'Reached' and 'appointment' need a connected call, a reply or a note (issue 5)."""


def leads_visible_to(*, staff: Salesperson) -> LeadQuerySet:
    """Fails closed: a salesperson sees their own and unassigned leads, managers and BDC
    agents the whole dealer's."""
    leads = Lead.objects.filter(dealer_id=staff.dealer_id)
    if staff.sees_whole_dealer:
        return leads
    return leads.filter(Q(assigned_to=staff) | Q(assigned_to__isnull=True))


def lead_contact_evidence(*, lead: Lead) -> dict[str, Any] | None:
    """The latest two-way contact on the timeline, from the customer's side: their leg of a
    call that lasted long enough, or a genuine reply (not an opt-out, not a possible refusal).
    The salesperson's own leg never counts, however long it rang or talked."""
    events = lead.events.filter(kind__in=[LeadEvent.Kind.CALL, LeadEvent.Kind.INBOUND])
    for event in events.order_by("-at", "-id")[:50]:
        data = event.data or {}
        if event.kind == LeadEvent.Kind.INBOUND:
            if not (data.get("stop") or data.get("refusal") or data.get("auto_reply")):
                return {"kind": event.kind, "event": event.pk, "at": event.at.isoformat()}
        elif _customer_leg_connected(event, lead.dealer):
            return {"kind": event.kind, "event": event.pk, "at": event.at.isoformat()}
    return None


def _customer_leg_connected(event: LeadEvent, dealer: Dealer) -> bool:
    data = event.data or {}
    customer_leg = data.get("event") == "customer call ended" or data.get("bridged") is True
    if not customer_leg:
        return False
    if data.get("outcome") == "reached":
        return True
    try:
        long_enough = int(data.get("duration") or 0) >= dealer.reached_min_seconds
    except (TypeError, ValueError):
        return False
    return long_enough and data.get("status", "completed") == "completed"


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
    locked: Lead = Lead.objects.select_for_update().select_related("dealer").get(pk=lead.pk)
    return locked


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


def _take_over(*, lead: Lead, by: Salesperson, at: dt.datetime) -> None:
    """The salesperson who worked an unassigned lead owns it from now on (DESIGN §1: the
    lead belongs to the salesperson), so it shows in their queue and nobody calls twice."""
    lead.assigned_to = by
    lead.bdc = False
    lead.bdc_reason = ""
    lead.save(update_fields=["assigned_to", "bdc", "bdc_reason", "updated_at"])
    lead.log(
        LeadEvent.Kind.ASSIGNED,
        by=by,
        at=at,
        data={"to": by.pk, "name": by.display_name, "took_over": True},
    )


def lead_log_outcome(*, lead: Lead, by: Salesperson, outcome: str, note: str = "") -> Lead:
    """A call the salesperson made by hand, and how it went.

    "wrong_number" marks the phone wrong; the caller then asks the engine (after commit) to
    stop calls and WhatsApp to it and to ask the customer for another way to reach them."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    with transaction.atomic():
        lead = _locked(lead)
        now = timezone.now()
        evidence = _evidence(lead=lead, note=note) if outcome == "reached" else None
        _count_attempt(lead, now)
        if lead.assigned_to_id is None and by.role == Salesperson.Role.SALESPERSON:
            _take_over(lead=lead, by=by, at=now)
        data: dict[str, Any] = {"outcome": outcome}
        if outcome == "wrong_number" and lead.mark_phone_invalid(by=by, at=now):
            data["phone_invalid"] = lead.phone
        lead.log(LeadEvent.Kind.OUTCOME, by=by, note=note, at=now, data=data)
        if lead.own_dial_at is not None:
            lead.own_dial_at = None
            lead.save(update_fields=["own_dial_at", "updated_at"])
        if outcome == "reached":
            if lead.status in (Lead.Status.NEW, Lead.Status.CONTACTING, Lead.Status.LOST):
                if lead.status == Lead.Status.LOST:
                    lead.move_to(Lead.Status.CONTACTING, by=by, at=now)
                lead.move_to(
                    Lead.Status.REACHED, by=by, note=note, at=now, data={"evidence": evidence}
                )
                engine_stop_on_commit(lead=lead, reason="reached")
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
        if status in (Lead.Status.LOST, Lead.Status.SHOWED, Lead.Status.SOLD):
            engine_stop_on_commit(lead=lead, reason=str(status))
    return lead


def lead_no_show(*, lead: Lead, by: Salesperson, note: str = "") -> Lead:
    with transaction.atomic():
        lead = _locked(lead)
        if lead.status != Lead.Status.APPOINTMENT:
            raise IllegalMove(_("Only a lead with an appointment can miss it."))
        lead.log(LeadEvent.Kind.OUTCOME, by=by, note=note, data={"outcome": "no_show"})
        lead.move_to(Lead.Status.REACHED, by=by, note=note, data={"no_show": True})
    return lead


class AppointmentOutsideWindow(IllegalMove):
    """Past, or further ahead than the dealer allows (Dealer.appointment_window)."""


def lead_book_appointment(
    *, lead: Lead, by: Salesperson | None, at: dt.datetime, note: str = ""
) -> Lead:
    """Set (or move) the appointment. The caller asks the engine to confirm it after commit.

    Raises AppointmentOutsideWindow before anything changes (so no confirmation goes out for
    31.12.9999)."""
    refusal = lead.dealer.appointment_refusal(at, timezone.now())
    if refusal is not None:
        raise AppointmentOutsideWindow(refusal)
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
        engine_stop_on_commit(lead=lead, reason=str(Lead.Status.APPOINTMENT))
    return lead


def lead_add_note(*, lead: Lead, by: Salesperson, note: str) -> LeadEvent:
    return lead.log(LeadEvent.Kind.NOTE, by=by, note=note.strip())


def lead_mark_opted_out(*, lead: Lead, by: Salesperson) -> LeadEvent | None:
    """This lead only, when the follow-up engine is not running: no further contact on it.
    The person's opt-out across all their leads (the suppression list) is the engine's."""
    with transaction.atomic():
        event = _locked(lead).opt_out(by=by, via="salesperson")
        engine_stop_on_commit(lead=lead, reason="opted out")
    return event


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
