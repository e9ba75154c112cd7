"""An opt-out belongs to the person: every path stops everything, on all of their leads."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from followup.models import Attempt, Call, OutboundMessage, Suppression
from followup.outbox import message_status_update
from followup.policy.keywords import REFUSAL, STOP, classify
from followup.replies import whatsapp_inbound
from leads.models import Lead, LeadEvent
from leads.services import EvidenceMissing, lead_log_outcome
from tests.followup.conftest import pending


@pytest.mark.parametrize(
    "text",
    [
        "Stop bitte",
        "STOPP!",
        "Bitte abmelden, danke",
        "please UNSUBSCRIBE me",
        "End",
        "quit",
        "Cancel.",
        "revoke",
        "opt out",
        "Opt-Out please",
        "afmelden aub",
        "Uitschrijven graag",
        "désabonner",
        "DESABONNER svp",
        "Arrêt",
        "stop svp",
    ],
)
def test_stop_words_are_found_as_words_in_short_messages(text):
    assert classify(text) == STOP


@pytest.mark.parametrize(
    "text",
    [
        "Bitte nicht mehr anrufen",
        "Ich möchte keine Anrufe mehr, ich habe schon ein Auto gekauft",
        "niet meer bellen alstublieft",
        "No more calls please",
        "Please don't call me again",
        "Merci de ne plus m'appeler",
        "Ich war gestern da und wollte fragen ob der Motor beim Stopp ausgeht oder nicht",
    ],
)
def test_refusals_without_a_stop_word_wait_for_a_person(text):
    assert classify(text) == REFUSAL


@pytest.mark.parametrize(
    "text", ["Ja, gerne Samstag um 10", "Is de Golf nog beschikbaar?", "Stopfen", "weekend?"]
)
def test_ordinary_replies_are_neither(text):
    assert classify(text) is None


def _two_leads_of_one_person(post_lead, rep_a1) -> tuple[Lead, Lead]:
    old = post_lead(external_id="web-old")
    old.move_to(Lead.Status.LOST, reason="no budget", by=rep_a1)
    from followup.progress import recovery_schedule

    recovery_schedule(lead=Lead.objects.select_related("dealer").get(pk=old.pk))
    # The same person asks again on another portal (another lead: the old one is lost).
    new = post_lead(external_id="web-new", source="mobile.de")
    assert new.pk != old.pk
    return old, new


@pytest.mark.parametrize(
    "text", ["Stop bitte", "please stop", "stop aub", "Arrêt svp", "STOPP danke"]
)
def test_a_stop_in_a_sentence_opts_the_person_out_on_both_leads_and_cancels_the_recovery_call(
    post_lead, rep_a1, text
):
    old, new = _two_leads_of_one_person(post_lead, rep_a1)
    assert "recovery" in pending(old)

    whatsapp_inbound(
        sender="whatsapp:+491711234567", recipient="whatsapp:+4940123456", text=text, sid="SM1"
    )

    for lead in (old, new):
        lead.refresh_from_db()
        assert lead.opted_out
        assert pending(lead) == []
        assert lead.status != Lead.Status.REACHED
    assert Attempt.objects.get(lead=old, key="recovery").status == "cancelled"
    assert Suppression.objects.filter(source="stop_keyword").count() == 8
    # Fourteen days later the BDC recovery call does not happen.
    from followup.dispatch import dispatch_due

    calls = Call.objects.count()
    with time_machine.travel(dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.UTC), tick=False):
        dispatch_due()
    assert Call.objects.count() == calls


def test_a_refusal_pauses_the_follow_up_for_a_person_and_is_not_reached(post_lead, rep_a1):
    lead = post_lead()
    assert pending(lead)

    whatsapp_inbound(
        sender="whatsapp:+491711234567",
        recipient="whatsapp:+4940123456",
        text="Bitte nicht mehr anrufen",
        sid="SM2",
    )

    lead.refresh_from_db()
    assert lead.possible_opt_out_at is not None and not lead.opted_out
    assert lead.status != Lead.Status.REACHED
    assert pending(lead) == []
    with pytest.raises(EvidenceMissing):
        lead_log_outcome(lead=lead, by=rep_a1, outcome="reached")


def test_a_person_confirms_the_refusal_and_the_person_is_opted_out(client, post_lead, rep_a1):
    lead = post_lead()
    whatsapp_inbound(
        sender="whatsapp:+491711234567",
        recipient="whatsapp:+4940123456",
        text="niet meer bellen",
        sid="SM3",
    )
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    queue = client.get("/queue/").content.decode()
    assert "Possible opt-outs" in queue

    client.post(reverse("lead-action", args=[lead.pk, "possible-opt-out"]), {"confirmed": "1"})

    lead.refresh_from_db()
    assert lead.opted_out and lead.possible_opt_out_at is None
    assert Suppression.objects.filter(source="confirmed_refusal").exists()


def test_not_an_opt_out_brings_the_paused_attempts_back(client, post_lead, rep_a1):
    lead = post_lead()
    before = sorted(pending(lead))
    whatsapp_inbound(
        sender="whatsapp:+491711234567",
        recipient="whatsapp:+4940123456",
        text="no more calls, only WhatsApp please",
        sid="SM4",
    )
    assert pending(lead) == []
    client.force_login(rep_a1.user)

    client.post(reverse("lead-action", args=[lead.pk, "possible-opt-out"]), {"confirmed": "0"})

    lead.refresh_from_db()
    assert lead.possible_opt_out_at is None and not lead.opted_out
    assert sorted(pending(lead)) == before


def test_the_salespersons_button_opts_out_the_person_on_all_leads(client, post_lead, rep_a1):
    old, new = _two_leads_of_one_person(post_lead, rep_a1)
    client.force_login(rep_a1.user)

    client.post(reverse("lead-action", args=[new.pk, "opt-out"]))

    for lead in (old, new):
        lead.refresh_from_db()
        assert lead.opted_out and pending(lead) == []
    assert Suppression.objects.filter(source="salesperson").exists()


def test_the_unsubscribe_link_opts_out_the_person_on_all_leads(client, post_lead, rep_a1):
    from followup.channels.email import unsubscribe_token

    old, new = _two_leads_of_one_person(post_lead, rep_a1)

    client.post(reverse("message-unsubscribe", args=[unsubscribe_token(old)]))

    for lead in (old, new):
        lead.refresh_from_db()
        assert lead.opted_out and pending(lead) == []
    assert Suppression.objects.filter(source="unsubscribe_link").exists()


def test_twilio_21610_opts_out_the_person_and_cancels_queued_messages(post_lead, rep_a1):
    old, new = _two_leads_of_one_person(post_lead, rep_a1)
    queued = OutboundMessage.objects.create(
        dealer=new.dealer,
        lead=new,
        channel="email",
        purpose="followup",
        to=new.email,
        send_after=new.received_at + dt.timedelta(days=1),
    )
    sent = OutboundMessage.objects.create(
        dealer=old.dealer,
        lead=old,
        channel="whatsapp",
        purpose="first",
        to=old.phone,
        status="sent",
    )

    message_status_update(message=sent, status="undelivered", code="21610", reason="STOP")

    queued.refresh_from_db()
    assert queued.status == "cancelled"
    for lead in (old, new):
        lead.refresh_from_db()
        assert lead.opted_out and pending(lead) == []
    assert Suppression.objects.filter(source="provider").exists()


def test_the_salespersons_own_long_leg_is_not_reached(post_lead, rep_a1):
    from followup.voice.callbacks import voice_status

    lead = post_lead()
    agent = Call.objects.filter(lead=lead, leg="agent").first()
    voice_status(call_id=agent.pk, params={"CallStatus": "completed", "CallDuration": "45"})

    lead.refresh_from_db()
    assert lead.status != Lead.Status.REACHED
    with pytest.raises(EvidenceMissing):
        lead_log_outcome(lead=lead, by=rep_a1, outcome="reached")
    assert not lead.events.filter(kind=LeadEvent.Kind.STATUS, data__to="reached").exists()


def test_the_recovery_sweep_skips_a_person_who_opted_out_on_another_lead(
    post_lead, rep_a1, dealer_a
):
    from followup.dispatch import recovery_sweep
    from followup.policy.suppression import suppression_add

    lead = post_lead()
    suppression_add(dealer=dealer_a, phone=lead.phone, reason="opt_out", source="stop_keyword")
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.LOST, lost_at=lead.received_at)

    assert recovery_sweep() == 0
    assert not Attempt.objects.filter(lead=lead, key="recovery").exists()
