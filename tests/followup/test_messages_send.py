from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from followup.messaging import message_send
from followup.models import MessageTemplate, OutboundMessage
from followup.outbox import message_resend
from followup.tasks import send_due
from followup.twilio_client import clear_twilio_client_cache
from leads.models import LeadEvent
from tests.followup.messages_support import (
    ANNA_MOBILE,
    PUBLIC_URL,
    make_lead,
)

Status = OutboundMessage.Status
CONTENT_SID = "HX" + "a1" * 16


@pytest.fixture
def first_template(dealer_a) -> MessageTemplate:
    return MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="whatsapp",
        purpose="first",
        language="de",
        label="Erste Nachricht",
        body="Hallo {first_name}, danke für Ihre Anfrage zum {vehicle}. {dealer}",
        content_sid=CONTENT_SID,
        variables=["first_name", "vehicle", "dealer"],
    )


def send(django_capture_on_commit_callbacks, **kwargs) -> bool:
    with django_capture_on_commit_callbacks(execute=True):
        return message_send(**kwargs)


def test_whatsapp_goes_to_twilio_with_the_approved_template_and_a_status_callback(
    messages_twilio, dealer_a, rep_a1, first_template, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)

    assert send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    message = OutboundMessage.objects.get(lead=lead)
    [request] = messages_twilio.messages_created()
    assert request.flat_params == {
        "To": f"whatsapp:{ANNA_MOBILE}",
        "From": "whatsapp:+4940123456",
        "ContentSid": CONTENT_SID,
        "ContentVariables": json.dumps(
            {"1": "Anna", "2": "Volkswagen Golf", "3": "Autohaus Nord"}, sort_keys=True
        ),
        "StatusCallback": f"{PUBLIC_URL}/twilio/messages/status/?m={message.pk}",
    }
    assert message.status == Status.SENT
    assert message.provider_sid == request.sid
    assert message.body.startswith("Hallo Anna, danke für Ihre Anfrage zum Volkswagen Golf")
    event = lead.events.get(kind=LeadEvent.Kind.MESSAGE)
    assert event.data | {"sid": None} == {
        "channel": "whatsapp",
        "status": "sent",
        "purpose": "first",
        "message": message.pk,
        "template": "whatsapp:first",
        "sid": None,
    }


def test_sandbox_records_the_whatsapp_without_calling_twilio(
    messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    assert send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    message = OutboundMessage.objects.get(lead=lead)
    assert message.status == Status.SENT
    assert message.provider == "sandbox"
    assert message.provider_sid.startswith("SB")
    assert "Volkswagen Golf" in message.body


def test_email_in_the_leads_language_from_the_dealer_with_reply_to_and_unsubscribe(
    messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1, language="de")

    assert send(django_capture_on_commit_callbacks, lead=lead, channel="email", purpose="first")

    [email] = mail.outbox
    assert email.to == ["anna.schmidt@example.de"]
    assert email.from_email == "Autohaus Nord <verkauf@nord.example>"
    assert email.subject == "Ihre Anfrage zum Volkswagen Golf bei Autohaus Nord"
    assert email.reply_to[0].startswith(f"reply+{lead.pk}-")
    assert email.reply_to[0].endswith("@leadflow.example")
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{PUBLIC_URL}/u/") and unsubscribe.endswith("/>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Hallo Anna," in email.body
    assert unsubscribe[1:-1] in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert "Lena Test von Autohaus Nord" in html
    assert unsubscribe[1:-1] in html
    message = OutboundMessage.objects.get(lead=lead)
    assert (message.status, message.channel, message.language) == (Status.SENT, "email", "de")


def test_email_falls_back_to_the_dealers_language(
    dealer_b, django_capture_on_commit_callbacks, messages_sandbox
):
    lead = make_lead(dealer_b, language="it", phone="+31612345670")

    send(django_capture_on_commit_callbacks, lead=lead, channel="email", purpose="followup")

    [email] = mail.outbox
    assert email.subject == "Still interested in the Volkswagen Golf?"
    assert email.from_email == "Garage Zuid <verkoop@zuid.example>"


def test_email_speaks_the_customers_dutch(
    dealer_b, django_capture_on_commit_callbacks, messages_sandbox
):
    lead = make_lead(dealer_b, language="nl", phone="+31612345670")

    send(django_capture_on_commit_callbacks, lead=lead, channel="email", purpose="followup")

    [email] = mail.outbox
    assert email.subject == "Nog interesse in de Volkswagen Golf?"


@pytest.mark.parametrize(
    ("fields", "channel"),
    [
        ({"email": ""}, "email"),
        ({"consent_email": False}, "email"),
        ({"consent_whatsapp": False}, "whatsapp"),
        ({"phone": "+4940123457"}, "whatsapp"),  # a landline
        ({"phone": ""}, "whatsapp"),
        ({"is_test": True}, "email"),
        ({"is_test": True}, "whatsapp"),
        ({"opted_out_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)}, "email"),
        ({"opted_out_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)}, "whatsapp"),
    ],
)
def test_channel_that_does_not_apply_returns_false_and_sends_nothing(
    messages_twilio, dealer_a, first_template, fields, channel, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, **fields)

    assert not send(django_capture_on_commit_callbacks, lead=lead, channel=channel, purpose="first")

    assert not OutboundMessage.objects.exists()
    assert messages_twilio.messages_created() == []
    assert mail.outbox == []


def test_the_same_attempt_sends_once(
    messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    for _ in range(2):
        assert send(
            django_capture_on_commit_callbacks,
            lead=lead,
            channel="email",
            purpose="first",
            attempt_id=77,
        )

    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.get().attempt_id == 77


def test_whatsapp_without_an_approved_template_is_skipped_with_a_clear_reason(
    messages_twilio, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    sent = send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    assert sent is False
    assert not OutboundMessage.objects.exists()
    assert messages_twilio.messages_created() == []
    event = lead.events.get(kind=LeadEvent.Kind.MESSAGE)
    assert event.data["status"] == "skipped"
    assert "no approved WhatsApp template" in event.data["reason"]


def test_twilio_500_then_201_sends_exactly_one_message(
    messages_twilio, dealer_a, first_template, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    messages_twilio.fail_next("Messages.json", status=500, code=20500)

    send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    message = OutboundMessage.objects.get()
    assert message.status == Status.QUEUED
    assert message.send_after > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due() == 0, "not due before its back-off has passed"

    with (
        time_machine.travel(timezone.now() + dt.timedelta(seconds=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert send_due() == 1
        send_due()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.tries == 2
    assert len(messages_twilio.messages_created()) == 1
    assert [r.answered for r in messages_twilio.requests] == ["500", "201"]


def test_transient_errors_give_up_after_the_last_try(
    messages_twilio, dealer_a, first_template, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    messages_twilio.fail_next("Messages.json", status=503, code=20503, times=10)
    send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    later = timezone.now()
    for _ in range(8):
        later += dt.timedelta(hours=2)
        with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
            send_due()

    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert message.tries == 6
    assert message.error_reason.startswith("gave up after 6 tries")
    assert len(messages_twilio.requests) == 6


@pytest.mark.parametrize(
    ("code", "reason"),
    [(21610, "recipient has unsubscribed"), (63016, "outside the WhatsApp 24h session window")],
)
def test_permanent_twilio_errors_end_the_message_failed_with_the_reason(
    messages_twilio, dealer_a, first_template, code, reason, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    messages_twilio.fail_next("Messages.json", status=400, code=code)

    send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert message.error_code == str(code)
    assert reason in message.error_reason
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due()
    assert len(messages_twilio.requests) == 1
    event = lead.events.get(kind=LeadEvent.Kind.MESSAGE)
    assert (event.data["status"], event.data["code"]) == ("failed", str(code))
    lead.refresh_from_db()
    assert lead.opted_out == (code == 21610)


@override_settings(TWILIO_TIMEOUT_SECONDS=0.3)
def test_a_lost_answer_is_marked_unknown_and_never_sent_again(
    messages_twilio, dealer_a, first_template, django_capture_on_commit_callbacks
):
    clear_twilio_client_cache()
    lead = make_lead(dealer_a)
    messages_twilio.delay_next("Messages.json", seconds=3)

    send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")

    message = OutboundMessage.objects.get()
    assert message.status == Status.UNKNOWN
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due()
    assert len(messages_twilio.messages_created()) == 1
    assert lead.events.get(kind=LeadEvent.Kind.MESSAGE).data["status"] == "unknown"


def test_a_person_may_send_an_unknown_message_again(
    messages_twilio, dealer_a, first_template, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    messages_twilio.drop_connection_next("Messages.json", process=False)
    send(django_capture_on_commit_callbacks, lead=lead, channel="whatsapp", purpose="first")
    message = OutboundMessage.objects.get()
    assert message.status == Status.UNKNOWN

    with django_capture_on_commit_callbacks(execute=True):
        assert message_resend(message=message)
        assert not message_resend(message=message), "only once"

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(messages_twilio.messages_created()) == 1
    assert len(messages_twilio.requests) == 2


def test_a_cadence_step_without_its_own_wording_reads_like_a_follow_up(
    messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    assert send(django_capture_on_commit_callbacks, lead=lead, channel="email", purpose="day3")

    [email] = mail.outbox
    assert email.subject == "Noch Interesse am Volkswagen Golf?"
    assert OutboundMessage.objects.get().purpose == "day3"
