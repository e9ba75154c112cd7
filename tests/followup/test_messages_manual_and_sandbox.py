from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from followup.messaging import message_send, message_send_manual, message_templates
from followup.models import MessageTemplate, OutboundMessage
from leads.engine import EngineUnavailable
from leads.models import Lead, LeadEvent
from tests.followup.messages_support import (
    make_lead,
)

Status = OutboundMessage.Status


# -- templates and manual sends ------------------------------------------------------------


def test_templates_offered_respect_consent_and_the_24_hour_rule(messages_twilio, dealer_a):
    MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="whatsapp",
        purpose="followup",
        language="de",
        label="Kurz nachgefragt",
        body="Hallo {first_name}, noch Fragen?",
        content_sid="HX" + "f" * 32,
    )
    lead = make_lead(dealer_a)

    outside = dict(message_templates(lead=lead))
    lead.last_inbound_at = timezone.now() - dt.timedelta(hours=2)
    inside = dict(message_templates(lead=lead))

    assert outside == {
        "email:first": "E-Mail: Erste Nachricht",
        "email:followup": "E-Mail: Nachfassen",
        "email:close": "E-Mail: Letzte Nachricht",
        "email:free": "E-Mail: Freier Text",
        "whatsapp:followup": "WhatsApp: Kurz nachgefragt",
    }
    assert set(inside) - set(outside) == {
        "whatsapp:first",
        "whatsapp:close",
        "whatsapp:free",
    }


def test_no_templates_for_an_opted_out_customer(messages_sandbox, dealer_a):
    lead = make_lead(dealer_a, opted_out_at=timezone.now())
    assert message_templates(lead=lead) == []


def test_free_text_whatsapp_outside_the_24_hour_window_is_refused_in_the_users_language(
    messages_twilio, dealer_a, rep_a1
):
    lead = make_lead(dealer_a, last_inbound_at=timezone.now() - dt.timedelta(hours=25))

    with translation.override("en"), pytest.raises(EngineUnavailable, match="within 24 hours"):
        message_send_manual(
            lead=lead, by=rep_a1, channel="whatsapp", template="whatsapp:free", text="Hallo!"
        )
    with translation.override("de"), pytest.raises(EngineUnavailable, match="24 Stunden"):
        message_send_manual(
            lead=lead, by=rep_a1, channel="whatsapp", template="whatsapp:free", text="Hallo!"
        )
    assert not OutboundMessage.objects.exists()


def test_free_text_whatsapp_inside_the_window_goes_out_as_a_body(
    messages_twilio, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, last_inbound_at=timezone.now() - dt.timedelta(hours=23))

    with django_capture_on_commit_callbacks(execute=True):
        message_send_manual(
            lead=lead,
            by=rep_a1,
            channel="whatsapp",
            template="whatsapp:free",
            text="Samstag 11 Uhr passt, bis dann!",
        )

    [request] = messages_twilio.messages_created()
    assert request.param("Body") == "Samstag 11 Uhr passt, bis dann!"
    assert request.param("ContentSid") is None
    message = OutboundMessage.objects.get()
    assert (message.status, message.sent_by, message.purpose) == (Status.SENT, rep_a1, "free")
    assert lead.events.get(kind=LeadEvent.Kind.MESSAGE).actor == rep_a1


def test_a_salesperson_sends_an_email_template(
    messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)

    with django_capture_on_commit_callbacks(execute=True):
        message_send_manual(lead=lead, by=rep_a1, channel="email", template="email:followup")

    [email] = mail.outbox
    assert email.subject == "Noch Interesse am Volkswagen Golf?"


@pytest.mark.parametrize(
    ("fields", "template", "reason"),
    [
        ({"opted_out_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)}, "email:first", "opted out"),
        ({"consent_email": False}, "email:first", "refused email contact"),
        ({}, "email:free", "write the message"),
        ({}, "email:unheard-of", "cannot be used"),
        ({}, "whatsapp:first", "another channel"),
    ],
)
def test_manual_sends_that_are_not_allowed_say_why(
    messages_sandbox, dealer_a, rep_a1, fields, template, reason
):
    lead = make_lead(dealer_a, **fields)

    with translation.override("en"), pytest.raises(EngineUnavailable, match=reason):
        message_send_manual(lead=lead, by=rep_a1, channel="email", template=template)


def test_another_dealers_salesperson_cannot_send(messages_sandbox, dealer_a, rep_b1):
    lead = make_lead(dealer_a)
    with pytest.raises(EngineUnavailable):
        message_send_manual(lead=lead, by=rep_b1, channel="email", template="email:first")


# -- the sandbox: the customers' side ----------------------------------------------------------


@pytest.fixture
def conversation(messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks) -> Lead:
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(lead=lead, channel="whatsapp", purpose="first")
        message_send(lead=lead, channel="email", purpose="first")
    return lead


def test_sandbox_panel_shows_what_the_customers_received(client, conversation, rep_a1):
    client.force_login(rep_a1.user)

    page = client.get("/sandbox/messages/", HTTP_HX_REQUEST="true")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" not in html, "an htmx request gets the fragment"
    assert "Anna Schmidt" in html
    assert "danke für Ihre Anfrage zum Volkswagen Golf" in html.replace("vielen Dank", "danke")
    assert "Ihre Anfrage zum Volkswagen Golf bei Autohaus Nord" in html
    assert 'name="channel" value="whatsapp"' in html
    assert "WhatsApp · erste Nachricht · " in html  # what it was for, in words


def test_sandbox_panel_shows_only_the_users_dealer(client, conversation, rep_b1):
    client.force_login(rep_b1.user)

    page = client.get("/sandbox/messages/", HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert "Anna Schmidt" not in page.content.decode()


def test_sandbox_reply_goes_through_the_inbound_handler(
    client, conversation, rep_a1, django_capture_on_commit_callbacks
):
    client.force_login(rep_a1.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/sandbox/messages/reply/",
            {"lead": conversation.pk, "channel": "whatsapp", "text": "Passt Samstag?"},
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert "Passt Samstag?" in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Lead.Status.REACHED
    assert conversation.last_inbound_at is not None
    assert [m.to for m in mail.outbox[1:]] == [["lena@example.com"]]


def test_stop_from_the_sandbox_phone_opts_out(
    client, conversation, rep_a1, django_capture_on_commit_callbacks
):
    client.force_login(rep_a1.user)
    message_send(lead=conversation, channel="email", purpose="followup")  # waiting

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/sandbox/messages/reply/",
            {"lead": conversation.pk, "channel": "whatsapp", "text": "STOP"},
        )

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.opted_out
    assert OutboundMessage.objects.get(purpose="followup").status == Status.CANCELLED


def test_email_reply_from_the_sandbox_inbox(
    client, conversation, rep_a1, django_capture_on_commit_callbacks
):
    client.force_login(rep_a1.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/sandbox/messages/reply/",
            {"lead": conversation.pk, "channel": "email", "text": "Bitte rufen Sie an"},
        )

    reply = conversation.events.get(kind=LeadEvent.Kind.INBOUND)
    assert (reply.note, reply.data["channel"]) == ("Bitte rufen Sie an", "email")


def test_nobody_replies_for_another_dealers_customer(client, conversation, rep_b1):
    client.force_login(rep_b1.user)

    response = client.post(
        "/sandbox/messages/reply/",
        {"lead": conversation.pk, "channel": "whatsapp", "text": "STOP"},
    )

    assert response.status_code == 404
    conversation.refresh_from_db()
    assert not conversation.opted_out


def test_sandbox_replies_are_off_with_real_providers(client, messages_twilio, dealer_a, rep_a1):
    lead = make_lead(dealer_a)
    client.force_login(rep_a1.user)

    response = client.post(
        "/sandbox/messages/reply/", {"lead": lead.pk, "channel": "whatsapp", "text": "STOP"}
    )

    assert response.status_code == 404


def test_sandbox_panel_query_count_does_not_grow_with_messages(
    client, conversation, rep_a1, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for i in range(15):
        lead = make_lead(
            conversation.dealer,
            assigned_to=rep_a1,
            phone=f"+4917112345{i:02d}",
            email=f"k{i}@example.de",
        )
        with django_capture_on_commit_callbacks(execute=True):
            message_send(lead=lead, channel="whatsapp", purpose="first")
    client.force_login(rep_a1.user)

    with django_assert_max_num_queries(8):
        page = client.get("/sandbox/messages/", HTTP_HX_REQUEST="true")
    assert page.content.decode().count('class="card conversation"') == 16


def test_read_timeline_data_is_json(conversation):
    events = list(conversation.events.filter(kind=LeadEvent.Kind.MESSAGE))
    assert {event.data["channel"] for event in events} == {"whatsapp", "email"}
    sent = {message.pk: message for message in OutboundMessage.objects.filter(lead=conversation)}
    for event in events:
        # Read back from the database, the data is plain JSON naming the message it logs.
        assert json.loads(json.dumps(event.data)) == event.data
        message = sent[event.data["message"]]
        assert (event.data["channel"], event.data["purpose"]) == (message.channel, message.purpose)
        assert event.data["status"] in OutboundMessage.Status.values


def test_window_follows_the_clock(messages_twilio, dealer_a):
    lead = make_lead(dealer_a, last_inbound_at=timezone.now())
    assert "whatsapp:free" in dict(message_templates(lead=lead))
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert "whatsapp:free" not in dict(message_templates(lead=lead))
