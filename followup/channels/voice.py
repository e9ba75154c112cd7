"""The ring flow: salesperson's phone → whisper → 1 bridges the customer; 2 passes on, 3 to
the BDC; no answer or a voicemail → the next on-duty salesperson → the BDC.

Every Twilio callback lands in one of the ``voice_*`` services below (the views in
``followup.views`` only check the signature and parse the form); the sandbox drives the same
services with the parameters Twilio would send.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override, pgettext
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from dealers.models import Dealer, Salesperson
from followup import queue
from followup.models import Attempt, Call
from followup.policy.gate import contact_decide
from followup.policy.models import ContactDecision
from followup.progress import (
    WATCHDOG_SECONDS,
    attempt_gate,
    lead_next_action_refresh,
    lead_reached,
    lead_touched,
)
from followup.providers import voice_provider
from followup.providers.base import CallRequest, ProviderError
from followup.sla import nobody_to_ring
from leadflow.lib.metrics import FIRST_RING_SECONDS, PROVIDER_ERRORS
from leads.labels import action_code
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)

RING_SECONDS = 20  # no answer within this → the next salesperson
CUSTOMER_RING_SECONDS = 30
MAX_TRIES = 5
# Looks at the provider for a leg whose create went unanswered before deciding, and the
# growing pause between them (5 s after the first unknown, then 10, 20, 30 s: ~1 min).
MAX_CHECKS = 4
CHECK_BACKOFF_SECONDS = 10


def public_url(name: str, call_id: int) -> str:
    return settings.LEADFLOW_PUBLIC_URL + reverse(name, args=[call_id])


# -- choosing whom to ring ------------------------------------------------------------------


def _target_bdc(attempt: Attempt, tried_bdc: bool) -> dict | None:
    if tried_bdc or not attempt.lead.dealer.bdc_phone:
        return None
    return {"salesperson": None, "is_bdc": True, "to": attempt.lead.dealer.bdc_phone}


def ring_next_target(
    *, attempt: Attempt, force_bdc: bool = False, first: bool = False
) -> dict | None:
    """Who to ring next for ``attempt``, given the legs already rung (none when ``first``)."""
    lead = attempt.lead
    dealer = lead.dealer
    tried: set[int] = set()
    tried_bdc = False
    if not first:
        legs = attempt.calls.filter(leg=Call.Leg.AGENT, parent=None)
        rung = list(legs.values_list("salesperson_id", "is_bdc"))
        tried = {pk for pk, _bdc in rung if pk is not None}
        tried_bdc = any(bdc for _pk, bdc in rung)
    if attempt.requested_by_id is not None:
        person = attempt.requested_by
        if tried or tried_bdc or not person.phone:
            return None
        return {"salesperson": person, "is_bdc": False, "to": person.phone}
    now = timezone.now()
    if force_bdc or attempt.purpose == "recovery" or lead.bdc or dealer.routes_to_bdc(now):
        return _target_bdc(attempt, tried_bdc)
    sellers = [
        s
        for s in dealer.staff.on_duty_sellers()
        .select_related("user", "dealer")
        .order_by("round_robin_turn", "pk")
        if s.phone and s.pk not in tried and s.is_working(now)
    ]
    # The lead belongs to its salesperson: ring them first, then the others on duty.
    sellers.sort(key=lambda s: s.pk != lead.assigned_to_id)
    if sellers:
        return {"salesperson": sellers[0], "is_bdc": False, "to": sellers[0].phone}
    return _target_bdc(attempt, tried_bdc)


def _leg_create(
    *, attempt: Attempt, target: dict, first: bool = False, claimed: bool = False
) -> Call:
    seq = (
        1
        if first
        else (attempt.calls.filter(parent=None).aggregate(top=Max("seq"))["top"] or 0) + 1
    )
    return Call.objects.create(
        dealer_id=attempt.dealer_id,
        lead_id=attempt.lead_id,
        attempt=attempt,
        seq=seq,
        leg=Call.Leg.AGENT,
        salesperson=target["salesperson"],
        is_bdc=target["is_bdc"],
        to=target["to"],
        from_number=attempt.lead.dealer.caller_id,
        provider=voice_provider().name,
        status=Call.Status.DIALING if claimed else Call.Status.PENDING,
        claimed_at=timezone.now() if claimed else None,
        tries=1 if claimed else 0,
    )


# -- the worker side: claim, then talk to the provider -------------------------------------


def ring_attempt_run(*, attempt_id: int) -> str:
    """Claim a call attempt and ring the first target. Exactly once per attempt."""
    attempt = (
        Attempt.objects.filter(pk=attempt_id)
        .select_related("lead__dealer", "requested_by__user", "requested_by__dealer")
        .first()
    )
    if attempt is None or attempt.status not in Attempt.PENDING:
        return "taken"
    if not attempt_gate(attempt=attempt):
        return "skipped"
    with transaction.atomic():
        # The claim and the first leg commit together: no claimed attempt without a leg.
        if not attempt.claim():
            return "taken"
        target = ring_next_target(attempt=attempt, first=True)
        if target is None:
            attempt.finish(outcome="nobody to ring", status=Attempt.Status.FAILED)
            attempt.lead.log(
                LeadEvent.Kind.CALL, data={"attempt": attempt.pk, "outcome": "nobody to ring"}
            )
            # The managers hear of it at once; a BDC lead becomes everybody's.
            nobody_to_ring(lead=attempt.lead)
            return "nobody"
        # Born claimed ("dialing"): this worker owns the first leg from its first moment.
        call = _leg_create(attempt=attempt, target=target, first=True, claimed=True)
        lead_touched(lead=attempt.lead, channel="phone")
    outcome = _dial(call)
    # After the dial: the two-minute promise waits for nothing that is not the call.
    lead_next_action_refresh(lead=attempt.lead)
    return outcome


def call_dial(*, call_id: int) -> str:
    """pending → dialing (one conditional UPDATE), then ask the provider for the call."""
    now = timezone.now()
    won = Call.objects.filter(pk=call_id, status=Call.Status.PENDING).update(
        status=Call.Status.DIALING, claimed_at=now, retry_at=None, tries=F("tries") + 1
    )
    if not won:
        return "taken"
    return _dial(Call.objects.select_related("lead__dealer", "salesperson__user").get(pk=call_id))


def _dial(call: Call) -> str:
    """Ask the provider for a leg this worker has claimed ("dialing")."""
    provider = voice_provider()
    request = CallRequest(
        to=call.to,
        from_number=call.from_number,
        url=public_url("followup:voice-answer", call.pk),
        status_callback=public_url("followup:voice-status", call.pk),
        timeout=RING_SECONDS,
    )
    try:
        sid = provider.create_call(request)
    except ProviderError as exc:
        return _dial_failed(call=call, exc=exc)
    Call.objects.filter(pk=call.pk).update(sid=sid)
    call.sid = sid
    call.advance(Call.Status.QUEUED)
    call.lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": "dialing", "to": call.who, "sid": sid},
    )
    if provider.name == "sandbox":
        # Twilio would now report the phone ringing; the sandbox phone rings at once.
        voice_status(call_id=call.pk, params={"CallSid": sid, "CallStatus": "ringing"})
    return "dialed"


def _dial_failed(*, call: Call, exc: ProviderError) -> str:
    lead = call.lead
    PROVIDER_ERRORS.labels(call.provider, "voice", exc.kind, exc.code or "none").inc()
    if exc.kind == "transient" and call.tries < MAX_TRIES:
        # Retried by the dispatcher from the row, not by a Celery countdown.
        retry_at = timezone.now() + dt.timedelta(seconds=2**call.tries)
        Call.objects.filter(pk=call.pk, status=Call.Status.DIALING).update(
            status=Call.Status.PENDING, retry_at=retry_at, error=exc.message
        )
        lead.log(
            LeadEvent.Kind.CALL,
            data={
                "call": call.pk,
                "event": "retry",
                "error": exc.message,
                "retry_at": retry_at.isoformat(),
            },
        )
        return "retry"
    if exc.kind == "unknown":
        # The call may exist at the provider: reconcile before anything is repeated.
        Call.objects.filter(pk=call.pk, status=Call.Status.DIALING).update(
            status=Call.Status.UNKNOWN,
            retry_at=timezone.now() + dt.timedelta(seconds=5),
            error=exc.message,
        )
        lead.log(
            LeadEvent.Kind.CALL, data={"call": call.pk, "event": "unknown", "error": exc.message}
        )
        return "unknown"
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.FAILED, error=exc.message, ended_at=timezone.now()
    )
    call.status = Call.Status.FAILED
    lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": "failed", "to": call.who, "reason": exc.message},
    )
    ring_escalate(call=call)
    return "failed"


def call_reconcile(*, call_id: int) -> str:
    """A create whose outcome is unknown: adopt the leg's own call if the provider has it,
    dial if the provider has no call at all, and after MAX_CHECKS unproven looks decide:
    end the leg with the reason and ring the next person. No leg stays unknown."""
    call = (
        Call.objects.filter(pk=call_id, status=Call.Status.UNKNOWN).select_related("lead").first()
    )
    if call is None:
        return "nothing"
    checks = call.checks + 1
    try:
        search = voice_provider().find_leg(
            to=call.to,
            from_number=call.from_number,
            since=call.claimed_at or call.created_at,
            leg_url=public_url("followup:voice-status", call.pk),
        )
    except ProviderError as exc:
        PROVIDER_ERRORS.labels(call.provider, "voice", exc.kind, exc.code or "none").inc()
        search, error = None, exc.message
    else:
        error = ""
    if search is not None and search.sid:
        return _leg_adopt(call=call, sid=search.sid)
    if search is not None and not search.unproven:
        # The provider has no call to this number since the claim: the create never arrived.
        won = Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
            status=Call.Status.PENDING, retry_at=None, checks=checks
        )
        return call_dial(call_id=call.pk) if won else "taken"
    if checks < MAX_CHECKS:
        Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
            checks=checks,
            retry_at=timezone.now() + dt.timedelta(seconds=CHECK_BACKOFF_SECONDS * checks),
            error=(error or call.error)[:300],
        )
        return "later"
    return _leg_give_up(call=call, checks=checks, error=error)


def _leg_adopt(*, call: Call, sid: str) -> str:
    try:
        with transaction.atomic():
            won = Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
                sid=sid, status=Call.Status.QUEUED, retry_at=None, checks=F("checks") + 1
            )
    except IntegrityError:
        # The SID is another leg's: never adopt it (its URL named this leg, so this is a bug
        # or a tampered provider answer); decide instead of retrying forever.
        return _leg_give_up(
            call=call, checks=call.checks + 1, error=f"{sid} belongs to another leg"
        )
    if won:
        call.lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "adopted", "sid": sid})
    return "adopted" if won else "taken"


def _leg_give_up(*, call: Call, checks: int, error: str) -> str:
    reason = "could not confirm the call at the provider" + (f" ({error})" if error else "")
    if not Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
        status=Call.Status.FAILED,
        checks=checks,
        retry_at=None,
        error=reason[:300],
        ended_at=timezone.now(),
    ):
        return "taken"
    call.status, call.error = Call.Status.FAILED, reason[:300]
    log.warning("leg %s: %s; ringing the next person", call.pk, reason)
    call.lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": "given up", "to": call.who, "reason": reason[:200]},
    )
    ring_escalate(call=call)
    return "given up"


def ring_escalate(*, call: Call) -> Call | None:
    """The leg ended without a bridge: ring the next on-duty salesperson, then the BDC."""
    with transaction.atomic():
        if not Call.objects.filter(pk=call.pk, escalated=False).update(escalated=True):
            return None  # a duplicate callback got here first
        attempt = Attempt.objects.select_related("requested_by").get(pk=call.attempt_id)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            return None
        attempt.lead = Lead.objects.select_related("dealer").get(pk=call.lead_id)
        target = None
        # A wrong number: nobody else is rung for a call that cannot reach the customer.
        reachable = not attempt.lead.opted_out and not attempt.lead.phone_is_invalid
        if reachable and attempt.lead.status not in (
            Lead.Status.REACHED,
            Lead.Status.LOST,
        ):
            target = ring_next_target(attempt=attempt, force_bdc=call.outcome == "bdc")
        if target is None:
            if call.status == Call.Status.FAILED:
                # The last number could not be called at all: say why on the timeline.
                attempt.finish(outcome="failed", status=Attempt.Status.FAILED, reason=call.error)
            else:
                attempt.finish(outcome="nobody answered")
            attempt.lead.log(
                LeadEvent.Kind.CALL,
                data={"attempt": attempt.pk, "outcome": attempt.outcome, "reason": attempt.reason},
            )
            recovery_closed(attempt=attempt)
            return None
        nxt = _leg_create(attempt=attempt, target=target)
        attempt.lead.log(
            LeadEvent.Kind.CALL,
            data={"call": nxt.pk, "event": "escalated", "from": call.who, "to": nxt.who},
        )
        queue.enqueue_on_commit(queue.RING_DIAL, nxt.pk)
    return nxt


# -- callbacks -----------------------------------------------------------------------------


def _call(call_id: int) -> Call | None:
    return (
        Call.objects.filter(pk=call_id)
        .select_related("lead__dealer", "salesperson__user", "attempt")
        .first()
    )


def _duration(params: dict[str, str], name: str) -> int | None:
    try:
        return int(params.get(name, ""))
    except ValueError:
        return None


def _status_fields(call: Call, status: str, params: dict[str, str], duration_key: str) -> dict:
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
    call = _call(call_id)
    if call is None:
        return None
    status = params.get("CallStatus", "")
    if status == "answered":
        status = "in-progress"
    if not call.advance(status, **_status_fields(call, status, params, "CallDuration")):
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
    moved = _leg_advance(call_id=call_id, params=params)
    if moved is None:
        return
    call, status = moved
    lead = call.lead
    if status == "ringing":
        if Lead.objects.filter(pk=lead.pk, first_ring_at=None).update(first_ring_at=call.rang_at):
            _first_ring_observe(call=call)
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "ringing", "to": call.who})
    elif status == "in-progress":
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "answered", "to": call.who})
    elif status in Call.TERMINAL:
        lead.log(
            LeadEvent.Kind.CALL,
            data={"call": call.pk, "event": status, "to": call.who, "duration": call.duration},
        )
        call.refresh_from_db(fields=["outcome"])
        if call.outcome != "connected":
            ring_escalate(call=call)


# What the phone says is spoken to the dealer's staff in the dealer's language, whoever is
# signed in or whichever language the request carries: every spoken line is built under
# ``override(spoken_language(dealer))``. The words live in the one catalogue (context "phone").


# TwiML <Say> voices per catalogue language; French follows the dealer's country (Belgian
# dealers get the Belgian voice, everyone else the French one).
SAY_LANGUAGES = {"de": "de-DE", "en": "en-US", "nl": "nl-NL", "fr": "fr-FR"}


def spoken_language(dealer: Dealer) -> str:
    """The catalogue language the phone speaks: the dealer's, English if it has none."""
    return dealer.language if dealer.language in SAY_LANGUAGES else "en"


def _say_language(dealer: Dealer) -> str:
    """The TwiML ``language`` of <Say>, matching the words spoken."""
    spoken = spoken_language(dealer)
    if spoken == "fr" and (dealer.country or "").upper() == "BE":
        return "fr-BE"
    return SAY_LANGUAGES[spoken]


def whisper_text(lead: Lead) -> str:
    with override(spoken_language(lead.dealer)):
        words = lead.message.split()
        first_words = " ".join(words[:12]) + (" …" if len(words) > 12 else "")
        parts = [
            pgettext("phone", "New lead from %(source)s: %(name)s.")
            % {
                "source": lead.source,
                "name": lead.customer_name or pgettext("phone", "name unknown"),
            }
        ]
        if lead.vehicle:
            parts.append(
                pgettext("phone", "Interested in %(vehicle)s.") % {"vehicle": lead.vehicle}
            )
        if first_words:
            parts.append(pgettext("phone", "Message: %(message)s") % {"message": first_words})
        parts.append(
            pgettext(
                "phone",
                "Press 1 to connect now, 2 to pass to the next salesperson, 3 to hand to the BDC.",
            )
        )
        return " ".join(parts)


def voice_answer(*, call_id: int, params: dict[str, str]) -> str:
    """The salesperson's phone was answered: whisper the lead inside a <Gather>."""
    response = VoiceResponse()
    call = _call(call_id)
    if call is None or call.is_terminal or _ring_over(call):
        response.hangup()
        return str(response)
    lead = call.lead
    if params.get("AnsweredBy", "").startswith(("machine", "fax")):
        Call.objects.filter(pk=call.pk, outcome="").update(outcome="voicemail")
        call.advance(
            "in-progress", answered_at=timezone.now(), answered_by=params["AnsweredBy"][:30]
        )
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "voicemail", "to": call.who})
        response.hangup()
        return str(response)
    if call.advance(
        "in-progress", answered_at=timezone.now(), answered_by=params.get("AnsweredBy", "")[:30]
    ):
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "answered", "to": call.who})
    language = _say_language(lead.dealer)
    gather = Gather(
        num_digits=1,
        action=public_url("followup:voice-gather", call.pk),
        method="POST",
        timeout=10,
    )
    gather.say(whisper_text(lead), language=language)
    response.append(gather)
    with override(spoken_language(lead.dealer)):
        no_input = pgettext("phone", "No key pressed. Passing the lead on.")
    response.say(no_input, language=language)
    response.hangup()
    return str(response)


def _ring_over(call: Call) -> bool:
    """The leg's attempt ended while the phone rang (followup.stop): nothing more to do."""
    return (
        Attempt.objects.filter(pk=call.attempt_id)
        .exclude(status=Attempt.Status.IN_PROGRESS)
        .exists()
    )


def voice_gather(*, call_id: int, params: dict[str, str]) -> str:
    """1: bridge the customer; 2: pass to the next salesperson; 3: hand to the BDC."""
    response = VoiceResponse()
    call = _call(call_id)
    if call is None or call.is_terminal or _ring_over(call):
        # The lead was reached, booked, lost or opted out while this phone rang: no bridge.
        response.hangup()
        return str(response)
    lead, digits = call.lead, params.get("Digits", "")[:1]
    language = _say_language(lead.dealer)
    if digits == "1":
        if not lead.phone or lead.opted_out or lead.phone_is_invalid:
            with override(spoken_language(lead.dealer)):
                no_phone = pgettext("phone", "This lead has no phone number to call.")
            response.say(no_phone, language=language)
            response.hangup()
            return str(response)
        if not _bridge_allowed(call=call):
            with override(spoken_language(lead.dealer)):
                refused = pgettext(
                    "phone", "The customer may not be called now. See the lead page for why."
                )
            response.say(refused, language=language)
            response.hangup()
            return str(response)
        customer = _bridge_leg(call=call)
        dial = Dial(
            caller_id=lead.dealer.caller_id,
            action=public_url("followup:voice-dial", call.pk),
            method="POST",
            timeout=CUSTOMER_RING_SECONDS,
        )
        dial.number(
            lead.phone,
            status_callback=public_url("followup:voice-customer", customer.pk),
            status_callback_event="initiated ringing answered completed",
            status_callback_method="POST",
            machine_detection="Enable",
        )
        response.append(dial)
        return str(response)
    if digits in ("2", "3"):
        outcome = "passed" if digits == "2" else "bdc"
        if Call.objects.filter(pk=call.pk, outcome="").update(outcome=outcome, digits=digits):
            lead.log(
                LeadEvent.Kind.CALL,
                data={"call": call.pk, "event": "pressed", "digits": digits, "by": call.who},
            )
            if digits == "3" and not lead.bdc:
                Lead.objects.filter(pk=lead.pk).update(bdc=True, bdc_reason="handed on")
                lead.log(LeadEvent.Kind.BDC, data={"reason": "handed on", "by": call.who})
        with override(spoken_language(lead.dealer)):
            said = (
                pgettext("phone", "Passing the lead to the next salesperson.")
                if digits == "2"
                else pgettext("phone", "Handing the lead to the BDC.")
            )
        response.say(said, language=language)
        response.hangup()
        return str(response)
    # Any other key: whisper again.
    response.redirect(public_url("followup:voice-answer", call.pk), method="POST")
    return str(response)


def _bridge_allowed(*, call: Call) -> bool:
    """The contact policy decides the customer's leg, once per salesperson leg: a repeated
    press of 1 finds the bridge (and its stored decision) already there."""
    if Call.objects.filter(parent=call).exists():
        return True
    attempt = call.attempt
    manual = attempt.requested_by_id is not None
    return contact_decide(
        lead=call.lead,
        channel="phone",
        action="bridge",
        purpose=attempt.purpose,
        by=attempt.requested_by if manual else None,
        # A salesperson's click-to-call keeps the override the dealer allowed when they asked.
        override=manual
        and ContactDecision.objects.filter(attempt_id=attempt.pk, override=True).exists(),
        attempt_id=attempt.pk,
        call_id=call.pk,
    ).allowed


def _bridge_leg(*, call: Call) -> Call:
    """The customer's leg of this salesperson call (created once, however often 1 arrives)."""
    with transaction.atomic():
        if Call.objects.filter(pk=call.pk, outcome="").update(outcome="connected", digits="1"):
            call.lead.log(
                LeadEvent.Kind.CALL,
                data={"call": call.pk, "event": "pressed", "digits": "1", "by": call.who},
            )
        existing = Call.objects.filter(parent=call).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return Call.objects.create(
                    dealer_id=call.dealer_id,
                    lead_id=call.lead_id,
                    attempt_id=call.attempt_id,
                    parent=call,
                    seq=call.seq,
                    leg=Call.Leg.CUSTOMER,
                    to=call.lead.phone,
                    from_number=call.lead.dealer.caller_id,
                    provider=call.provider,
                    status=Call.Status.DIALING,
                    claimed_at=timezone.now(),
                )
        except IntegrityError:
            return Call.objects.get(parent=call)


def voice_customer_status(*, call_id: int, params: dict[str, str]) -> None:
    """Status callback of the customer's leg (<Number statusCallback>)."""
    moved = _leg_advance(call_id=call_id, params=params)
    if moved is None:
        return
    call, status = moved
    lead = call.lead
    if status == "ringing":
        # The speed-to-lead clock stops when the customer's phone starts ringing.
        Lead.objects.filter(pk=lead.pk, customer_rang_at=None).update(customer_rang_at=call.rang_at)
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "customer ringing"})
    elif status == "in-progress":
        lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "customer answered"})
    elif status in Call.TERMINAL:
        bridge_settle(call=call)


def voice_dial_done(*, call_id: int, params: dict[str, str]) -> str:
    """The <Dial> action: the bridged leg's outcome and duration."""
    response = VoiceResponse()
    response.hangup()
    agent = _call(call_id)
    if agent is None:
        return str(response)
    customer = Call.objects.filter(parent=agent).select_related("lead__dealer", "attempt").first()
    if customer is None:
        return str(response)
    status = params.get("DialCallStatus", "") or "completed"
    fields = _status_fields(customer, status, params, "DialCallDuration")
    if not customer.sid and params.get("DialCallSid"):
        fields["sid"] = params["DialCallSid"]
    if customer.advance(status, **fields):
        bridge_settle(call=customer)
    elif customer.duration is None and fields.get("duration") is not None:
        Call.objects.filter(pk=customer.pk, duration=None).update(duration=fields["duration"])
        bridge_settle(
            call=Call.objects.select_related("lead__dealer", "attempt").get(pk=customer.pk)
        )
    return str(response)


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


def recovery_closed(*, attempt: Attempt) -> None:
    """The BDC's recovery call did not reach the customer: the lead is lost again (its one
    recovery call is spent)."""
    if attempt.purpose != "recovery":
        return
    with transaction.atomic():
        lead = Lead.objects.select_for_update(no_key=True).get(pk=attempt.lead_id)
        if lead.status == Lead.Status.CONTACTING:
            lead.move_to(Lead.Status.LOST, reason="no contact", note="BDC recovery call")


def call_now(*, lead: Lead, by: Salesperson) -> Attempt:
    """Click-to-call: ring ``by``'s phone and bridge to the customer through the ring flow."""
    attempt = Attempt.objects.create(
        dealer_id=lead.dealer_id,
        lead=lead,
        key=f"click:{uuid.uuid4().hex[:16]}",
        channel=Attempt.Channel.PHONE,
        purpose="click",
        label=action_code("call_now"),
        hours_rule="any",
        due_at=timezone.now(),
        status=Attempt.Status.QUEUED,
        queued_at=timezone.now(),
        requested_by=by,
    )
    queue.enqueue_on_commit(queue.RING_ATTEMPT, attempt.pk)
    return attempt
