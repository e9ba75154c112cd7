"""The sandbox phones: a person answers, presses keys, talks and hangs up in the browser.

Each button calls the same services Twilio's callbacks call, with the parameters Twilio would
send, in the order Twilio would send them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from dealers.models import Salesperson
from followup.channels import voice
from followup.models import Call
from leads.models import Lead, LeadEvent
from leads.timeline import event_line

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
        voice.voice_status(call_id=call.pk, params=_params(call, CallStatus="in-progress"))
        voice.voice_answer(call_id=call.pk, params=_params(call, AnsweredBy="human"))
    elif action == "voicemail":
        voice.voice_answer(call_id=call.pk, params=_params(call, AnsweredBy="machine_start"))
        voice.voice_status(
            call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="3")
        )
    elif action == "decline":
        voice.voice_status(call_id=call.pk, params=_params(call, CallStatus="no-answer"))
    elif action.startswith("press-"):
        digit = action.removeprefix("press-")
        voice.voice_gather(call_id=call.pk, params=_params(call, Digits=digit))
        if digit == "1":
            customer = Call.objects.filter(parent=call).first()
            if customer is not None:
                # Twilio executes the <Dial>: the customer's leg starts and rings.
                customer.sid = customer.sid or f"{call.sid}-C"
                for status in ("initiated", "ringing"):
                    voice.voice_customer_status(
                        call_id=customer.pk,
                        params=_params(customer, CallStatus=status, ParentCallSid=call.sid or ""),
                    )
        else:
            voice.voice_status(
                call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="8")
            )
    elif action == "hang-up":
        customer = Call.objects.filter(parent=call).first()
        if customer is not None and not customer.is_terminal:
            _customer(customer, "talk" if customer.status == "in-progress" else "decline", 0)
        voice.voice_status(
            call_id=call.pk, params=_params(call, CallStatus="completed", CallDuration="10")
        )
    return True


def _customer(call: Call, action: str, seconds: int) -> bool:
    if action not in CUSTOMER_ACTIONS.get(call.status, ()):
        return False
    agent = call.parent
    if action == "answer":
        voice.voice_customer_status(
            call_id=call.pk, params=_params(call, CallStatus="in-progress", AnsweredBy="human")
        )
        return True
    status = "completed" if action == "talk" else "no-answer"
    duration = str(seconds if action == "talk" else 0)
    voice.voice_customer_status(
        call_id=call.pk, params=_params(call, CallStatus=status, CallDuration=duration)
    )
    voice.voice_dial_done(
        call_id=agent.pk,
        params=_params(
            agent, DialCallStatus=status, DialCallDuration=duration, DialCallSid=call.sid or ""
        ),
    )
    voice.voice_status(
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
    for call in live:
        actions = (AGENT_ACTIONS if call.leg == Call.Leg.AGENT else CUSTOMER_ACTIONS).get(
            call.status, ()
        )
        call.actions = actions
        call.whisper = (
            voice.whisper_text(call.lead)
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
    events = list(events)
    for event in events:
        event.text = event_line(event)
    return {
        "live": live,
        "recent": calls.filter(status__in=Call.TERMINAL).order_by("-id")[:15],
        "events": events,
        "staff": (dealer.staff if staff.sees_whole_dealer else dealer.staff.filter(pk=staff.pk))
        .exclude(phone="")
        .select_related("user"),
        "dealer": dealer,
    }
