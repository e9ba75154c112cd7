from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from followup.channels.email import reply_address
from followup.messaging import appointment_booked, message_send
from followup.models import InboundMessage, MessageTemplate, OutboundMessage
from followup.tasks import send_due, send_message
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN
from tests.fakes.twilio_signing import signed_post
from tests.followup.messages_support import (
    ANNA_MOBILE,
    PUBLIC_URL,
    make_lead,
)

Status = OutboundMessage.Status
INBOUND_URL = "/twilio/messages/inbound/"
WEBHOOK_SECRET = "anymail:webhook-secret"


def whatsapp_from(client, text: str, *, sender: str = ANNA_MOBILE, sid: str | None = None):
    return signed_post(
        client,
        INBOUND_URL,
        {
            "MessageSid": sid or "SM" + secrets.token_hex(16),
            "AccountSid": settings.TWILIO_ACCOUNT_SID,
            "From": f"whatsapp:{sender}",
            "To": "whatsapp:+4940123456",
            "Body": text,
            "NumMedia": "0",
            "ProfileName": "Anna",
        },
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )


def test_whatsapp_reply_lands_on_the_timeline_marks_reached_and_tells_the_salesperson(
    client, messages_twilio, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)

    with django_capture_on_commit_callbacks(execute=True):
        response = whatsapp_from(client, "Ja, Samstag 11 Uhr passt mir.")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response></Response>")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REACHED
    assert lead.last_inbound_at is not None
    reply = lead.events.get(kind=LeadEvent.Kind.INBOUND)
    assert reply.note == "Ja, Samstag 11 Uhr passt mir."
    assert reply.data["channel"] == "whatsapp"
    reached = lead.events.get(kind=LeadEvent.Kind.STATUS)
    assert (reached.data["to"], reached.data["evidence"]["kind"]) == ("reached", "inbound")
    [notification] = mail.outbox
    assert notification.to == ["lena@example.com"]
    assert "Anna Schmidt" in notification.subject
    assert "Ja, Samstag 11 Uhr passt mir." in notification.body
    assert f"{PUBLIC_URL}/leads/{lead.pk}/" in notification.body


def test_a_repeated_inbound_webhook_is_recorded_once(
    client, messages_twilio, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert whatsapp_from(client, "Hallo", sid="SM" + "a" * 32).status_code == 200

    assert lead.events.filter(kind=LeadEvent.Kind.INBOUND).count() == 1
    assert len(mail.outbox) == 1


def test_a_reply_does_not_set_back_a_lead_with_an_appointment(
    client, messages_twilio, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, status=Lead.Status.APPOINTMENT)

    with django_capture_on_commit_callbacks(execute=True):
        whatsapp_from(client, "Bis morgen!")

    lead.refresh_from_db()
    assert lead.status == Lead.Status.APPOINTMENT
    assert lead.events.filter(kind=LeadEvent.Kind.INBOUND).count() == 1


def test_unknown_sender_is_logged_without_the_number_and_answered_with_empty_twiml(
    client, messages_twilio, dealer_a, caplog
):
    make_lead(dealer_a)

    response = whatsapp_from(client, "Wer sind Sie?", sender="+491709999999")

    assert response.status_code == 200
    assert response.content.decode().endswith("<Response></Response>")
    assert not LeadEvent.objects.filter(kind=LeadEvent.Kind.INBOUND).exists()
    # The log says it happened; the number itself is personal data (leadflow/lib/logmask.py).
    assert "unknown sender <phone>" in caplog.text
    assert "1709999999" not in caplog.text


def test_unsigned_inbound_webhook_is_refused(client, messages_twilio, dealer_a):
    lead = make_lead(dealer_a)
    response = client.post(
        INBOUND_URL,
        {"From": f"whatsapp:{ANNA_MOBILE}", "To": "whatsapp:+4940123456", "Body": "STOP"},
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert not lead.opted_out


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stopp",
        "Stop!",
        " Abmelden ",
        "uitschrijven",
        "afmelden",
        "UNSUBSCRIBE",
        "désabonner",
    ],
)
def test_stop_words_opt_out(
    client, messages_twilio, dealer_a, text, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    with django_capture_on_commit_callbacks(execute=True):
        whatsapp_from(client, text)

    lead.refresh_from_db()
    assert lead.opted_out
    assert lead.status == Lead.Status.CONTACTING
    assert lead.events.get(kind=LeadEvent.Kind.OPTED_OUT).data == {"via": "whatsapp"}


def test_stop_inside_a_sentence_is_a_normal_reply(
    client, messages_twilio, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    with django_capture_on_commit_callbacks(execute=True):
        whatsapp_from(client, "Bitte nicht stoppen, ich melde mich")

    lead.refresh_from_db()
    assert not lead.opted_out
    assert lead.status == Lead.Status.REACHED


def test_stop_in_the_middle_of_a_cadence_cancels_everything_queued_and_scheduled(
    client, messages_twilio, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    for purpose in ("first", "followup", "appointment", "reminder"):
        MessageTemplate.objects.create(
            dealer=dealer_a,
            channel="whatsapp",
            purpose=purpose,
            language="de",
            label=purpose,
            body="Hallo {first_name}",
            content_sid="HX" + secrets.token_hex(16),
        )
    lead = make_lead(dealer_a, assigned_to=rep_a1, preferred_channel="whatsapp")
    with django_capture_on_commit_callbacks(execute=True):
        message_send(lead=lead, channel="whatsapp", purpose="first")
        lead.appointment_at = dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN)
        appointment_booked(lead=lead, by=rep_a1)
    # The next cadence message, queued but not yet picked up by a worker.
    message_send(lead=lead, channel="whatsapp", purpose="followup")
    assert len(messages_twilio.messages_created()) == 2
    waiting = list(OutboundMessage.objects.filter(status=Status.QUEUED).order_by("id"))
    assert [m.purpose for m in waiting] == ["reminder", "followup"]

    with django_capture_on_commit_callbacks(execute=True):
        whatsapp_from(client, "STOP")

    lead.refresh_from_db()
    assert lead.opted_out
    assert sorted(
        OutboundMessage.objects.filter(status=Status.CANCELLED).values_list("purpose", flat=True)
    ) == ["followup", "reminder"]
    with (
        time_machine.travel(dt.datetime(2026, 11, 24, 10, 1, tzinfo=BERLIN)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due()
        for message in waiting:
            send_message(message.pk)
        assert not message_send(lead=lead, channel="whatsapp", purpose="close")
        assert not message_send(lead=lead, channel="email", purpose="close")
    assert len(messages_twilio.messages_created()) == 2
    assert mail.outbox == []


# -- email replies: anymail's inbound webhook (Postmark's shape) ------------------------


def postmark_inbound(client, *, to: str, text: str, sender: str = "anna.schmidt@example.de"):
    payload = {
        "FromFull": {"Email": sender, "Name": "Anna Schmidt"},
        "ToFull": [{"Email": to, "Name": ""}],
        "CcFull": [],
        "Subject": "Re: Ihre Anfrage",
        "MessageID": secrets.token_hex(8),
        "TextBody": text,
        "HtmlBody": "",
        "Headers": [{"Name": "Message-ID", "Value": f"<{secrets.token_hex(8)}@example.de>"}],
        "Attachments": [],
        "OriginalRecipient": to,
    }
    auth = "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()
    with override_settings(
        ANYMAIL={"WEBHOOK_SECRET": WEBHOOK_SECRET}, LEADFLOW_EMAIL_ESP="postmark"
    ):
        return client.post(
            "/anymail/postmark/inbound/",
            data=json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )


def test_email_reply_to_the_reply_address_marks_reached_without_the_quote(
    client, messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    text = "Gern, rufen Sie mich an.\n\nAm Mo., 23. Nov. schrieb Autohaus Nord:\n> Hallo Anna"

    with django_capture_on_commit_callbacks(execute=True):
        response = postmark_inbound(client, to=reply_address(lead), text=text)

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REACHED
    assert lead.events.get(kind=LeadEvent.Kind.INBOUND).note == "Gern, rufen Sie mich an."
    assert [m.to for m in mail.outbox] == [["lena@example.com"]]


def test_email_reply_with_a_forged_reply_address_is_ignored(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    forged = re.sub(r"-[0-9a-f]{16}@", "-0000000000000000@", reply_address(lead))

    with django_capture_on_commit_callbacks(execute=True):
        postmark_inbound(client, to=forged, text="Hallo")

    assert not InboundMessage.objects.exists()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTING


def test_lead_emails_to_the_dealers_intake_address_are_left_to_the_intake(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    make_lead(dealer_a)

    with django_capture_on_commit_callbacks(execute=True):
        postmark_inbound(client, to="leads@nord.example", text="<adf>...</adf>")

    assert not InboundMessage.objects.exists()


def test_unsubscribe_by_email_reply(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)

    with django_capture_on_commit_callbacks(execute=True):
        postmark_inbound(client, to=reply_address(lead), text="Abmelden")

    lead.refresh_from_db()
    assert lead.opted_out


# -- the unsubscribe link ----------------------------------------------------------------


def unsubscribe_link(lead, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        assert message_send(lead=lead, channel="email", purpose="first")
    header = mail.outbox[-1].extra_headers["List-Unsubscribe"]
    return header.strip("<>").removeprefix(PUBLIC_URL)


def test_unsubscribe_link_asks_then_opts_out_and_cancels_what_is_waiting(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, language="en")
    path = unsubscribe_link(lead, django_capture_on_commit_callbacks)
    message_send(lead=lead, channel="email", purpose="followup")  # queued, not yet sent

    page = client.get(path)
    assert page.status_code == 200
    assert "Do you want to stop receiving messages from Autohaus Nord" in page.content.decode()
    lead.refresh_from_db()
    assert not lead.opted_out, "a mail scanner following the link must not unsubscribe"

    done = client.post(path)

    assert done.status_code == 200
    assert "You will receive no more messages from Autohaus Nord" in done.content.decode()
    lead.refresh_from_db()
    assert lead.opted_out
    assert lead.events.get(kind=LeadEvent.Kind.OPTED_OUT).data == {"via": "email_link"}
    assert OutboundMessage.objects.get(purpose="followup").status == Status.CANCELLED


def test_unsubscribe_page_speaks_the_customers_language(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, language="de")
    path = unsubscribe_link(lead, django_capture_on_commit_callbacks)

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Möchten Sie keine weiteren Nachrichten von Autohaus Nord" in html
    assert "Ja, keine weiteren Nachrichten" in html


def test_one_click_unsubscribe_rfc_8058(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    path = unsubscribe_link(lead, django_capture_on_commit_callbacks)
    client.handler.enforce_csrf_checks = True

    response = client.post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.opted_out
    assert lead.events.get(kind=LeadEvent.Kind.OPTED_OUT).data == {"via": "email_one_click"}


def test_a_tampered_unsubscribe_link_is_not_found(
    client, messages_sandbox, dealer_a, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a)
    path = unsubscribe_link(lead, django_capture_on_commit_callbacks)

    response = client.post(path[:-3] + "xx/")

    assert response.status_code == 404
    lead.refresh_from_db()
    assert not lead.opted_out


def test_reply_after_24_hours_closes_the_whatsapp_window_again(
    client, messages_twilio, dealer_a, django_capture_on_commit_callbacks
):
    from followup.channels.whatsapp import in_session_window

    lead = make_lead(dealer_a)
    with django_capture_on_commit_callbacks(execute=True):
        whatsapp_from(client, "Hallo")
    lead.refresh_from_db()

    assert in_session_window(lead)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, seconds=1)):
        assert not in_session_window(lead)
