"""Twilio's status callbacks of both legs, and settling the customer's leg (reached or not)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from followup.models import Attempt, Call
from followup.progress import (
    WATCHDOG_SECONDS,
    lead_next_action_refresh,
    lead_reached,
)
from followup.voice.legs import call_get, recovery_closed, ring_escalate
from leadflow.lib.metrics import FIRST_RING_SECONDS
from leads.models import Lead, LeadEvent


def _duration(params: dict[str, str], name: str) -> int | None:
    try:
        return int(params.get(name, ""))
    except ValueError:
        return None


def status_fields(call: Call, status: str, params: dict[str, str], duration_key: str) -> dict:
    now = timezone.now()
    fields: dict = {}
    if status == "ringing":
        fields["rang_at"] = now
    elif status in ("in-progress", "answered"):
        fields["answered_at"] = now
    elif status in Call.TERMINAL:
        fields["ended_at"] = now
        fields["duration"] = _duration(params, duration_key)
    if params.get("AnsweredBy"):
        fields["answered_by"] = params["AnsweredBy"][:30]
    if not call.sid and params.get("CallSid"):
        fields["sid"] = params["CallSid"]
    return fields


def _leg_advance(*, call_id: int, params: dict[str, str]) -> tuple[Call, str] | None:
    """Move a leg to the status Twilio reports; None when nothing moved (unknown call, a
    duplicate, or a status that arrived after a later one)."""
    call = call_get(call_id)
    if call is None:
        return None
    status = params.get("CallStatus", "")
    if status == "answered":
        status = "in-progress"
    if not call.advance(status, **status_fields(call, status, params, "CallDuration")):
        return None
    return call, status


def _first_ring_observe(*, call: Call) -> None:
    """The ring-SLA histogram, clocked like /metrics' late-lead count (leadflow.monitoring):
    from the lead's arrival, or from its first call's window when that opened later (after
    hours the first call waits for the next window by design)."""
    start = call.lead.received_at
    due_at = (
        Attempt.objects.filter(lead_id=call.lead_id, key="first_call")
        .values_list("due_at", flat=True)
        .first()
    )
    if due_at is not None:
        start = max(start, due_at - dt.timedelta(seconds=WATCHDOG_SECONDS))
    FIRST_RING_SECONDS.observe(max(0.0, ((call.rang_at or timezone.now()) - start).total_seconds()))


def voice_status(*, call_id: int, params: dict[str, str]) -> None:
    """Status callback of a salesperson/BDC leg. Forward only; duplicates change nothing."""
    _leg_status(call_id=call_id, params=params, customer=False)


def voice_customer_status(*, call_id: int, params: dict[str, str]) -> None:
    """Status callback of the customer's leg (<Number statusCallback>)."""
    _leg_status(call_id=call_id, params=params, customer=True)


def _leg_status(*, call_id: int, params: dict[str, str], customer: bool) -> None:
    """The step both legs' status callbacks share: move the leg to the status Twilio reports,
    put it on the lead's timeline, and act on the end of the leg."""
    moved = _leg_advance(call_id=call_id, params=params)
    if moved is None:
        return
    call, status = moved
    lead = call.lead
    if status == "ringing":
        _leg_ringing(call=call, customer=customer)
    elif status == "in-progress":
        event = (
            {"event": "customer answered"} if customer else {"event": "answered", "to": call.who}
        )
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, **event})
    elif status in Call.TERMINAL:
        _leg_ended(call=call, status=status, customer=customer)


def _leg_ringing(*, call: Call, customer: bool) -> None:
    lead = call.lead
    if customer:
        # The speed-to-lead clock stops when the customer's phone starts ringing.
        Lead.objects.filter(pk=lead.pk, customer_rang_at=None).update(customer_rang_at=call.rang_at)
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "customer ringing"})
        return
    if Lead.objects.filter(pk=lead.pk, first_ring_at=None).update(first_ring_at=call.rang_at):
        _first_ring_observe(call=call)
    lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "ringing", "to": call.who})


def _leg_ended(*, call: Call, status: str, customer: bool) -> None:
    if customer:
        bridge_settle(call=call)
        return
    call.lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": status, "to": call.who, "duration": call.duration},
    )
    call.refresh_from_db(fields=["outcome"])
    if call.outcome != "connected":
        ring_escalate(call=call)


def bridge_settle(*, call: Call) -> None:
    """The customer's leg ended: reached if a person talked long enough, else the attempt ends.

    Reached from either the <Dial> action or the leg's own status callback, whichever comes
    first with a duration; the other finds the attempt finished and changes nothing.
    """
    lead = call.lead
    minimum = lead.dealer.reached_min_seconds
    person = not call.answered_by.startswith(("machine", "fax"))
    if call.duration is None and call.status == Call.Status.COMPLETED:
        return  # wait for the callback that carries the duration
    reached = call.status == Call.Status.COMPLETED and person and (call.duration or 0) >= minimum
    attempt = call.attempt
    outcome = "reached" if reached else f"customer {call.status}"
    if not Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
        status=Attempt.Status.DONE, outcome=outcome, finished_at=timezone.now()
    ):
        return
    Call.objects.filter(pk=call.pk).update(outcome=outcome)
    lead.log(
        LeadEvent.Kind.CALL,
        data={
            "call": call.pk,
            "event": "customer call ended",
            "status": call.status,
            "duration": call.duration,
            "outcome": outcome,
        },
    )
    if reached:
        lead_reached(lead_id=lead.pk, evidence={"call": call.pk, "duration": call.duration})
    else:
        recovery_closed(attempt=attempt)
        lead_next_action_refresh(lead=lead)
