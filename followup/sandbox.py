"""The sandbox phones: a person answers, presses keys, talks and hangs up in the browser.

Each button calls the same services Twilio's callbacks call, with the parameters Twilio would
send, in the order Twilio would send them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from dealers.models import Salesperson
from followup.models import Call
from followup.voice import callbacks, legs, twiml
from leads.models import Lead, LeadEvent
from leads.timeline import event_line

BATCH = 100
# Twilio's <Gather> waits 10 s after the whisper (~20 s) for a key.
WHISPER_AND_GATHER_SECONDS = 45

AGENT_ACTIONS = {
    "ringing": ("answer", "voicemail", "decline"),
    "in-progress": ("press-1", "press-2", "press-3", "hang-up"),
}
CUSTOMER_ACTIONS = {
    "ringing": ("answer", "decline"),
    "in-progress": ("talk",),
}


def _params(call: Call, **extra: str) -> dict[str, str]:
    return {"CallSid": call.sid or "", "From": call.from_number, "To": call.to, **extra}


def act(*, call: Call, action: str, seconds: int = 45) -> bool:
    """Play one button on a sandbox phone; False if the action does not apply."""
    if call.leg == Call.Leg.AGENT:
        return _agent(call, action, seconds)
    return _customer(call, action, seconds)


def _agent(call: Call, action: str, seconds: int) -> bool:
    if action not in AGENT_ACTIONS.get(call.status, ()):
        return False
    if action == "answer":
        callbacks.voice_status(call_id=call.pk, params=_params(call, CallStatus="in-progress"))
        twiml.voice_answer(call_id=call.pk, params=_params(call, AnsweredBy="human"))
    elif action == "voicemail":
        twiml.voice_answer(call_id=call.pk, params=_params(call, AnsweredBy="machine_start"))
        callbacks.voice_status(
            call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="3")
        )
    elif action == "decline":
        callbacks.voice_status(call_id=call.pk, params=_params(call, CallStatus="no-answer"))
    elif action.startswith("press-") and _bridged(call) is not None:
        # Keys pressed while the customer is on the line reach nobody (Twilio is running the
        # <Dial>): the salesperson hanging up is what ends it, never leaving the customer alone.
        _end_bridge(call)
        callbacks.voice_status(
            call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="10")
        )
    elif action.startswith("press-"):
        digit = action.removeprefix("press-")
        twiml.voice_gather(call_id=call.pk, params=_params(call, Digits=digit))
        if digit == "1":
            customer = Call.objects.filter(parent=call).first()
            if customer is not None:
                # Twilio executes the <Dial>: the customer's leg starts and rings.
                customer.sid = customer.sid or f"{call.sid}-C"
                for status in ("initiated", "ringing"):
                    callbacks.voice_customer_status(
                        call_id=customer.pk,
                        params=_params(customer, CallStatus=status, ParentCallSid=call.sid or ""),
                    )
        else:
            callbacks.voice_status(
                call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="8")
            )
    elif action == "hang-up":
        _end_bridge(call)
        callbacks.voice_status(
            call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="10")
        )
    return True


def _bridged(agent: Call) -> Call | None:
    """The customer's leg of this salesperson call while it is still going on."""
    customer = Call.objects.filter(parent=agent).select_related("lead__dealer").first()
    return None if customer is None or customer.is_terminal else customer


def _end_bridge(agent: Call) -> None:
    """The salesperson hangs up: the customer's leg ends too, after the time they talked (so a
    long enough talk counts as reached), or unanswered if it was still ringing."""
    customer = _bridged(agent)
    if customer is None:
        return
    if customer.status == "in-progress":
        talked = timezone.now() - (customer.answered_at or timezone.now())
        _customer(customer, "talk", max(0, int(talked.total_seconds())))
    else:
        _customer(customer, "decline", 0)


def expire_rings(*, now: dt.datetime | None = None) -> int:
    """Sandbox phones nobody plays time out as Twilio's would: a ring after RING_SECONDS
    (the customer's after CUSTOMER_RING_SECONDS) goes unanswered, and a whisper nobody
    answers with a key passes the lead on. Run by the dispatcher."""
    now = now or timezone.now()
    sandbox = Call.objects.filter(provider="sandbox").select_related("lead__dealer", "parent")
    ended = 0
    for call in sandbox.filter(
        leg=Call.Leg.AGENT,
        status="ringing",
        rang_at__lt=now - dt.timedelta(seconds=legs.RING_SECONDS),
    )[:BATCH]:
        callbacks.voice_status(call_id=call.pk, params=_params(call, CallStatus="no-answer"))
        ended += 1
    for call in sandbox.filter(
        leg=Call.Leg.CUSTOMER,
        status__in=["initiated", "ringing"],
        created_at__lt=now - dt.timedelta(seconds=legs.CUSTOMER_RING_SECONDS),
    )[:BATCH]:
        _customer(call, "decline", 0)
        ended += 1
    for call in sandbox.filter(
        leg=Call.Leg.AGENT,
        status="in-progress",
        outcome="",
        answered_at__lt=now - dt.timedelta(seconds=WHISPER_AND_GATHER_SECONDS),
    )[:BATCH]:
        # "No key pressed. Passing the lead on."
        callbacks.voice_status(
            call_id=call.pk,
            params=_params(
                call, CallStatus="completed", CallDuration=str(WHISPER_AND_GATHER_SECONDS)
            ),
        )
        ended += 1
    return ended


def _customer(call: Call, action: str, seconds: int) -> bool:
    if action not in CUSTOMER_ACTIONS.get(call.status, ()):
        return False
    agent = call.parent
    if agent is None:
        return False  # a customer leg always hangs off the salesperson's
    if action == "answer":
        callbacks.voice_customer_status(
            call_id=call.pk, params=_params(call, CallStatus="in-progress", AnsweredBy="human")
        )
        return True
    status = "completed" if action == "talk" else "no-answer"
    duration = str(seconds if action == "talk" else 0)
    callbacks.voice_customer_status(
        call_id=call.pk, params=_params(call, CallStatus=status, CallDuration=duration)
    )
    twiml.voice_dial_done(
        call_id=agent.pk,
        params=_params(
            agent, DialCallStatus=status, DialCallDuration=duration, DialCallSid=call.sid or ""
        ),
    )
    callbacks.voice_status(
        call_id=agent.pk,
        params=_params(agent, CallStatus="completed", CallDuration=str(int(duration) + 15)),
    )
    return True


def calls_of(staff: Salesperson) -> QuerySet[Call]:
    """The sandbox calls ``staff`` may see and play: their own phone's legs and the customer
    legs bridged from them; managers and the BDC every call of the dealer."""
    calls = Call.objects.filter(dealer=staff.dealer_id, provider="sandbox")
    if staff.sees_whole_dealer:
        return calls
    return calls.filter(Q(salesperson=staff) | Q(parent__salesperson=staff))


def leads_of(staff: Salesperson) -> QuerySet[Lead]:
    leads = Lead.objects.filter(dealer=staff.dealer_id)
    return leads if staff.sees_whole_dealer else leads.filter(assigned_to=staff)


def board(*, staff: Salesperson) -> dict:
    """What the sandbox page shows: the phones ringing or talking now, and recent calls."""
    dealer = staff.dealer
    calls = calls_of(staff).select_related("lead", "salesperson__user", "parent")
    live = list(calls.exclude(status__in=Call.TERMINAL).order_by("-id")[:20])
    bridging = set(
        calls.filter(leg=Call.Leg.CUSTOMER)
        .exclude(status__in=Call.TERMINAL)
        .values_list("parent_id", flat=True)
    )
    for call in live:
        actions = (AGENT_ACTIONS if call.leg == Call.Leg.AGENT else CUSTOMER_ACTIONS).get(
            call.status, ()
        )
        if call.pk in bridging:
            actions = ("hang-up",)  # talking to the customer: keys reach nobody
        # For the template: what the phone offers and says now.
        call.actions = actions  # type: ignore[attr-defined]
        call.whisper = (  # type: ignore[attr-defined]
            twiml.whisper_text(call.lead)
            if call.leg == Call.Leg.AGENT and call.status == "in-progress"
            else ""
        )
    events = (
        LeadEvent.objects.filter(
            dealer=dealer,
            lead__in=leads_of(staff),
            kind__in=[
                LeadEvent.Kind.CALL,
                LeadEvent.Kind.STATUS,
                LeadEvent.Kind.ATTEMPT,
                LeadEvent.Kind.MESSAGE,
            ],
        )
        .select_related("lead")
        .order_by("-at", "-id")[:25]
    )
    return {
        "live": live,
        "recent": calls.filter(status__in=Call.TERMINAL).order_by("-id")[:15],
        "events": _collapsed(list(events)),
        "staff": (dealer.staff if staff.sees_whole_dealer else dealer.staff.filter(pk=staff.pk))
        .exclude(phone="")
        .select_related("user"),
        "dealer": dealer,
    }


def _collapsed(events: list[LeadEvent]) -> list[LeadEvent]:
    """Identical lines in a row (same lead, same words) become one line with a count."""
    shown: list[LeadEvent] = []
    for event in events:
        # Set on the instances for the template.
        event.text = event_line(event)  # type: ignore[attr-defined]
        event.repeats = 1  # type: ignore[attr-defined]
        last = shown[-1] if shown else None
        if last is not None and last.lead_id == event.lead_id and last.text == event.text:  # type: ignore[attr-defined]
            last.repeats += 1  # type: ignore[attr-defined]
            continue
        shown.append(event)
    return shown
