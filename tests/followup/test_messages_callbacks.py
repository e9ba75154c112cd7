from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings
from django.test import override_settings

from followup.messaging import message_send
from followup.models import MessageTemplate, OutboundMessage
from leads.models import LeadEvent
from tests.fakes.twilio_signing import signed_post
from tests.followup.messages_support import (
    PUBLIC_URL,
    make_lead,
)

Status = OutboundMessage.Status
STATUS_URL = "/twilio/messages/status/"
WEBHOOK_SECRET = "anymail:webhook-secret"


@pytest.fixture
def sent_whatsapp(messages_twilio, dealer_a, django_capture_on_commit_callbacks) -> OutboundMessage:
    MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="whatsapp",
        purpose="first",
        language="de",
        label="Erste",
        body="Hallo {first_name}",
        content_sid="HX" + "0" * 32,
    )
    lead = make_lead(dealer_a)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(lead=lead, channel="whatsapp", purpose="first")
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    return message


def post_status(client, message: OutboundMessage, status: str, **params):
    body = {
        "MessageSid": message.provider_sid,
        "MessageStatus": status,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        **params,
    }
    return signed_post(
        client,
        f"{STATUS_URL}?m={message.pk}",
        body,
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )


def statuses_on_timeline(message: OutboundMessage) -> list[str]:
    events = message.lead.events.filter(kind=LeadEvent.Kind.MESSAGE).order_by("at", "id")
    return [e.data["status"] for e in events]


def test_unsigned_or_forged_status_callbacks_are_refused(client, sent_whatsapp):
    unsigned = client.post(
        f"{STATUS_URL}?m={sent_whatsapp.pk}",
        {"MessageSid": sent_whatsapp.provider_sid, "MessageStatus": "delivered"},
    )
    forged = signed_post(
        client,
        f"{STATUS_URL}?m={sent_whatsapp.pk}",
        {"MessageSid": sent_whatsapp.provider_sid, "MessageStatus": "delivered"},
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        HTTP_X_TWILIO_SIGNATURE="Zm9yZ2Vk",
    )
    other_key = signed_post(
        client,
        f"{STATUS_URL}?m={sent_whatsapp.pk}",
        {"MessageSid": sent_whatsapp.provider_sid, "MessageStatus": "delivered"},
        public_url=PUBLIC_URL,
        auth_token="not-our-auth-token",
    )

    assert [unsigned.status_code, forged.status_code, other_key.status_code] == [403, 403, 403]
    sent_whatsapp.refresh_from_db()
    assert sent_whatsapp.status == Status.SENT


def test_status_only_moves_forward_and_duplicates_change_nothing(client, sent_whatsapp):
    for status in ["delivered", "sent", "delivered", "read", "delivered", "sending"]:
        assert post_status(client, sent_whatsapp, status).status_code == 204

    sent_whatsapp.refresh_from_db()
    assert sent_whatsapp.status == Status.READ
    assert sent_whatsapp.delivered_at is not None and sent_whatsapp.read_at is not None
    assert statuses_on_timeline(sent_whatsapp) == ["sent", "delivered", "read"]


def test_undelivered_callback_records_the_twilio_error(client, sent_whatsapp):
    post_status(client, sent_whatsapp, "undelivered", ErrorCode="63016")
    post_status(client, sent_whatsapp, "undelivered", ErrorCode="63016")

    sent_whatsapp.refresh_from_db()
    assert sent_whatsapp.status == Status.UNDELIVERED
    assert sent_whatsapp.error_code == "63016"
    assert "24h session window" in sent_whatsapp.error_reason
    assert statuses_on_timeline(sent_whatsapp) == ["sent", "undelivered"]


def test_a_callback_settles_a_message_whose_answer_was_lost(client, sent_whatsapp):
    OutboundMessage.objects.filter(pk=sent_whatsapp.pk).update(
        status=Status.UNKNOWN, provider_sid=""
    )

    response = signed_post(
        client,
        f"{STATUS_URL}?m={sent_whatsapp.pk}",
        {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"},
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )

    assert response.status_code == 204
    sent_whatsapp.refresh_from_db()
    assert (sent_whatsapp.status, sent_whatsapp.provider_sid) == (
        Status.DELIVERED,
        "SM" + "9" * 32,
    )


def test_callbacks_for_unknown_messages_are_accepted_and_ignored(client, messages_twilio, db):
    response = signed_post(
        client,
        STATUS_URL,
        {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"},
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )
    assert response.status_code == 204


# -- email: anymail's tracking webhook (Postmark's shape) -----------------------------


@pytest.fixture
def sent_email(messages_sandbox, dealer_a, django_capture_on_commit_callbacks) -> OutboundMessage:
    lead = make_lead(dealer_a)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(lead=lead, channel="email", purpose="first")
    return OutboundMessage.objects.get()


def post_postmark(client, path: str, payload: dict, secret: str | None = WEBHOOK_SECRET):
    extra = {}
    if secret:
        extra["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    with override_settings(
        ANYMAIL={"WEBHOOK_SECRET": WEBHOOK_SECRET}, LEADFLOW_EMAIL_ESP="postmark"
    ):
        return client.post(path, data=json.dumps(payload), content_type="application/json", **extra)


def tracking(message: OutboundMessage, record_type: str, **fields) -> dict:
    return {
        "RecordType": record_type,
        "MessageID": "pm-" + str(message.pk),
        "Recipient": message.to,
        "Email": message.to,
        "Metadata": {"lf_message": str(message.pk)},
        "DeliveredAt": "2026-11-23T10:01:00Z",
        **fields,
    }


def test_email_tracking_needs_the_webhook_secret(client, sent_email):
    response = post_postmark(
        client, "/anymail/postmark/tracking/", tracking(sent_email, "Delivery"), secret=None
    )

    assert response.status_code == 400
    sent_email.refresh_from_db()
    assert sent_email.status == Status.SENT


def test_email_delivered_opened_and_duplicates(client, sent_email):
    for record in ["Delivery", "Open", "Delivery"]:
        response = post_postmark(
            client, "/anymail/postmark/tracking/", tracking(sent_email, record)
        )
        assert response.status_code == 200

    sent_email.refresh_from_db()
    assert sent_email.status == Status.READ
    assert sent_email.provider_sid == f"pm-{sent_email.pk}"
    assert statuses_on_timeline(sent_email) == ["sent", "delivered", "read"]


def test_email_bounce_fails_the_message_with_the_reason(client, sent_email):
    post_postmark(
        client,
        "/anymail/postmark/tracking/",
        tracking(
            sent_email,
            "Bounce",
            Type="HardBounce",
            Description="The server was unable to deliver your message",
            BouncedAt="2026-11-23T10:01:00Z",
        ),
    )

    sent_email.refresh_from_db()
    assert sent_email.status == Status.FAILED
    assert sent_email.error_reason == "The server was unable to deliver your message"


def test_spam_complaint_opts_the_customer_out(client, sent_email):
    post_postmark(
        client,
        "/anymail/postmark/tracking/",
        tracking(sent_email, "SpamComplaint", Type="SpamComplaint"),
    )

    sent_email.lead.refresh_from_db()
    assert sent_email.lead.opted_out
