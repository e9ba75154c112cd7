"""A message whose outcome is unknown (the provider's answer was lost) is settled by the
salesperson on the lead page: check and send again, or mark it as sent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from followup.messaging import message_send
from followup.models import MessageTemplate, OutboundMessage
from tests.followup.messages_support import make_lead

Status = OutboundMessage.Status


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def unknown(messages_twilio, dealer_a, rep_a1, django_capture_on_commit_callbacks):
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="whatsapp",
        purpose="followup",
        language="de",
        label="Nachfassen",
        body="Hallo {first_name}, noch Fragen zum {vehicle}? {dealer}",
        content_sid="HX" + "b2" * 16,
    )
    messages_twilio.drop_connection_next("Messages.json", process=False)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(lead=lead, channel="whatsapp", purpose="followup")
    message = OutboundMessage.objects.get()
    assert message.status == Status.UNKNOWN
    return message


def settle(client, message, how, capture):
    with capture(execute=True):
        return client.post(
            reverse("lead-action", args=[message.lead_id, "message-settle"]),
            {"message": message.pk, "how": how},
            follow=True,
        )


def test_the_lead_page_shows_a_message_of_unknown_outcome_with_what_to_do(lena, unknown):
    page = lena.get(reverse("lead", args=[unknown.lead_id])).content.decode()

    assert "Did these messages go out?" in page
    assert "WhatsApp · follow-up · +491711234567" in page
    assert "Check and resend" in page and "Mark as sent" in page


def test_check_and_resend_sends_it_once(
    lena, unknown, messages_twilio, django_capture_on_commit_callbacks
):
    response = settle(lena, unknown, "resend", django_capture_on_commit_callbacks)
    again = settle(lena, unknown, "resend", django_capture_on_commit_callbacks)

    unknown.refresh_from_db()
    assert unknown.status == Status.SENT
    assert len(messages_twilio.messages_created()) == 1
    assert "The message is being sent again." in response.content.decode()
    assert "settled already" in again.content.decode()
    assert "Did these messages go out?" not in again.content.decode()


def test_mark_as_sent_settles_it_without_sending(
    lena, unknown, messages_twilio, django_capture_on_commit_callbacks
):
    requests_before = len(messages_twilio.requests)

    settle(lena, unknown, "sent", django_capture_on_commit_callbacks)

    unknown.refresh_from_db()
    assert unknown.status == Status.SENT
    assert len(messages_twilio.requests) == requests_before


def test_another_dealers_message_cannot_be_settled(
    client, unknown, rep_b1, dealer_b, django_capture_on_commit_callbacks
):
    client.force_login(rep_b1.user)
    other = make_lead(dealer_b, assigned_to=rep_b1, phone="+31612345670")

    response = client.post(
        reverse("lead-action", args=[other.pk, "message-settle"]),
        {"message": unknown.pk, "how": "sent"},
    )

    assert response.status_code == 302
    unknown.refresh_from_db()
    assert unknown.status == Status.UNKNOWN
