"""What the phone says: the whisper, the keys, the bridge to the customer (TwiML).

What the phone says is spoken to the dealer's staff in the dealer's language, whoever is signed
in or whichever language the request carries: every spoken line is built under
``override(spoken_language(dealer))``. The words live in the one catalogue (context "phone").
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import override, pgettext
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from dealers.models import Dealer
from followup.models import Attempt, Call
from followup.policy.gate import contact_decide
from followup.policy.models import ContactDecision
from followup.voice.callbacks import bridge_settle, status_fields
from followup.voice.legs import CUSTOMER_RING_SECONDS, call_get, public_url
from leads.models import Lead, LeadEvent

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
    call = call_get(call_id)
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
    # Credited whether or not this request moved the leg: the status callback may have
    # reported the answer first, without saying whether a person or a mailbox took it.
    if call.salesperson_id is not None:
        lead.mark_first_answered(by_id=call.salesperson_id)
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
    call = call_get(call_id)
    if call is None or call.is_terminal or _ring_over(call):
        # The lead was reached, booked, lost or opted out while this phone rang: no bridge.
        response.hangup()
        return str(response)
    digits = params.get("Digits", "")[:1]
    if digits == "1":
        _gather_bridge(call=call, response=response)
    elif digits in ("2", "3"):
        _gather_pass(call=call, digits=digits, response=response)
    else:
        # Any other key: whisper again.
        response.redirect(public_url("followup:voice-answer", call.pk), method="POST")
    return str(response)


def _say_and_hang_up(response: VoiceResponse, dealer: Dealer, words: str) -> None:
    response.say(words, language=_say_language(dealer))
    response.hangup()


def _gather_bridge(*, call: Call, response: VoiceResponse) -> None:
    """1: dial the customer into the salesperson's call, if the customer may be called."""
    lead = call.lead
    if not lead.phone or lead.opted_out or lead.phone_is_invalid:
        with override(spoken_language(lead.dealer)):
            no_phone = pgettext("phone", "This lead has no phone number to call.")
        _say_and_hang_up(response, lead.dealer, no_phone)
        return
    if not _bridge_allowed(call=call):
        with override(spoken_language(lead.dealer)):
            refused = pgettext(
                "phone", "The customer may not be called now. See the lead page for why."
            )
        _say_and_hang_up(response, lead.dealer, refused)
        return
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


def _gather_pass(*, call: Call, digits: str, response: VoiceResponse) -> None:
    """2: the next salesperson; 3: the BDC (the lead becomes a BDC lead)."""
    lead = call.lead
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
    _say_and_hang_up(response, lead.dealer, said)


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


def voice_dial_done(*, call_id: int, params: dict[str, str]) -> str:
    """The <Dial> action: the bridged leg's outcome and duration."""
    response = VoiceResponse()
    response.hangup()
    agent = call_get(call_id)
    if agent is None:
        return str(response)
    customer = Call.objects.filter(parent=agent).select_related("lead__dealer", "attempt").first()
    if customer is None:
        return str(response)
    status = params.get("DialCallStatus", "") or "completed"
    fields = status_fields(customer, status, params, "DialCallDuration")
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
