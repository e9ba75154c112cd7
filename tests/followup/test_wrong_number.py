""" "Wrong number": the phone is marked wrong, calls and WhatsApp to it stop, the customer is
asked by email for a number that works. Played through the lead page with the real engine."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from followup.models import Attempt, Call, OutboundMessage
from followup.voice import callbacks, ring, twiml
from leads.models import Lead
from tests.followup.conftest import agent_leg, pending


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


def log_outcome(client, lead, outcome, capture):
    with capture(execute=True):
        return client.post(
            reverse("lead-action", args=[lead.pk, "outcome"]), {"outcome": outcome}, follow=True
        )


def test_wrong_number_stops_calls_and_whatsapp_and_asks_by_email(
    post_lead, lena, rep_a1, django_capture_on_commit_callbacks
):
    lead = post_lead()
    assert any(key.startswith("step:") for key in pending(lead))
    mail.outbox.clear()

    response = log_outcome(lena, lead, "wrong_number", django_capture_on_commit_callbacks)

    lead.refresh_from_db()
    assert lead.phone_is_invalid and lead.phone_invalid == "+491711234567"
    left = Attempt.objects.pending().filter(lead=lead)
    assert left.exists()
    assert not left.filter(channel__in=["phone", "whatsapp"]).exists()
    assert set(left.values_list("channel", flat=True)) <= {"email", "lost"}
    assert Attempt.objects.filter(lead=lead, reason="wrong number", status="cancelled").exists()
    # The customer is asked for a number that works.
    (asking,) = mail.outbox
    assert asking.to == ["anna.schmidt@example.de"]
    assert "Nummer" in asking.subject
    assert OutboundMessage.objects.filter(lead=lead, purpose="phone_check").exists()
    page = response.content.decode()
    assert "is wrong" in page
    assert "The customer was emailed and asked for a number that works." in page
    assert ">Call now<" not in page
    assert 'href="tel:' not in page


def test_after_wrong_number_nothing_calls_or_messages_that_phone(
    post_lead, lena, rep_a1, django_capture_on_commit_callbacks
):
    lead = post_lead()
    first_call = agent_leg(lead)
    log_outcome(lena, lead, "wrong_number", django_capture_on_commit_callbacks)
    calls_before = Call.objects.count()

    # Click-to-call is refused, and so is the salesperson pressing 1 on a ring still going on.
    response = lena.post(reverse("lead-action", args=[lead.pk, "call"]), follow=True)
    assert "The phone number is wrong" in response.content.decode()
    twiml.voice_answer(call_id=first_call.pk, params={"AnsweredBy": "human"})
    gathered = twiml.voice_gather(call_id=first_call.pk, params={"Digits": "1"})
    assert "<Dial" not in gathered
    assert Call.objects.count() == calls_before
    # The salesperson's ring still going on ends without passing the lead to anybody else.
    with django_capture_on_commit_callbacks(execute=True):
        callbacks.voice_status(
            call_id=first_call.pk, params={"CallStatus": "completed", "CallDuration": "12"}
        )
    assert Call.objects.count() == calls_before
    # A WhatsApp cannot be sent by hand either.
    with django_capture_on_commit_callbacks(execute=True):
        response = lena.post(
            reverse("lead-action", args=[lead.pk, "message"]),
            {"channel": "whatsapp", "template": "whatsapp:followup"},
            follow=True,
        )
    assert not OutboundMessage.objects.filter(lead=lead, channel="whatsapp", sent_by=rep_a1)
    # A call step written before (or due later) finds the number wrong and is cancelled.
    step = Attempt.objects.create(
        dealer_id=lead.dealer_id, lead=lead, key="late", channel="phone", due_at=lead.received_at
    )
    assert ring.ring_attempt_run(attempt_id=step.pk) == "skipped"
    assert Attempt.objects.get(pk=step.pk).reason == "wrong number"


def test_a_repeat_inquiry_with_another_number_lifts_the_block(
    post_lead, lena, django_capture_on_commit_callbacks
):
    lead = post_lead()
    log_outcome(lena, lead, "wrong_number", django_capture_on_commit_callbacks)

    again = post_lead(external_id="web-2", phone="0171 7654321")

    assert again.pk == lead.pk
    lead.refresh_from_db()
    assert lead.phone == "+491717654321"
    assert not lead.phone_is_invalid


def test_without_an_email_the_page_says_to_find_another_way(
    post_lead, lena, django_capture_on_commit_callbacks
):
    lead = post_lead(email="")
    mail.outbox.clear()

    response = log_outcome(lena, lead, "wrong_number", django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert "There is no email address to ask" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).phone_is_invalid
