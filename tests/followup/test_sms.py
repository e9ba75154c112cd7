from __future__ import annotations

import datetime as dt
import secrets

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from dealers.models import Dealer, TextChannel
from followup.channels.sms import gsm7_units, segments, sms_body
from followup.channels.templates import placeholders, render
from followup.channels.texts import DEFAULTS, FIRST, FOLLOWUP
from followup.messaging import (
    appointment_booked,
    message_send_manual,
    message_templates,
)
from followup.models import Attempt, HoursRule, InboundMessage, MessageTemplate, OutboundMessage
from followup.outbox import message_resend
from followup.policy.gate import contact_decide
from followup.policy.models import Suppression
from followup.services import attempt_run
from followup.tasks import send_due
from leads.models import Lead, LeadEvent
from leads.reports.funnel import funnel_report
from leads.reports.weeks import Week
from tests.conftest import make_staff
from tests.fakes.twilio_signing import signed_post
from tests.followup.messages_support import PUBLIC_URL, make_lead

Status = OutboundMessage.Status
INBOUND_URL = "/twilio/sms/inbound/"
US_SENDER = "+12125550123"
US_MOBILE = "+12125551234"
# 11:00 in New York on the Monday the test suite lives in.
NEW_YORK_MORNING = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def dealer_us(db) -> Dealer:
    return Dealer.objects.create(
        name="Hudson Motors",
        slug="hudson",
        time_zone="America/New_York",
        country="US",
        language="en",
        caller_id="+12125550100",
        sms_sender=US_SENDER,
        text_channel=TextChannel.SMS,
        email_from="sales@hudson.example",
    )


@pytest.fixture
def rep_us1(dealer_us):
    return make_staff(dealer_us, "mia", "Mia", "salesperson", "+12125550111")


@pytest.fixture
def new_york_morning():
    with time_machine.travel(NEW_YORK_MORNING, tick=True):
        yield


def us_lead(dealer: Dealer, **fields) -> Lead:
    fields = {"phone": US_MOBILE, "language": "en", "consent_whatsapp": None, **fields}
    return make_lead(dealer, **fields)


def text_attempt(lead: Lead, purpose: str = FOLLOWUP) -> Attempt:
    """A cadence text step ("whatsapp" in the cadence), due now."""
    return Attempt.objects.create(
        dealer_id=lead.dealer_id,
        lead=lead,
        key=f"step:{secrets.token_hex(4)}",
        channel=Attempt.Channel.WHATSAPP,
        purpose=purpose,
        label="whatsapp:d1",
        hours_rule=HoursRule.CONTACT,
        due_at=timezone.now(),
    )


def run(django_capture_on_commit_callbacks, attempt: Attempt) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        return attempt_run(attempt_id=attempt.pk)


def sms_from(client, text: str, *, sender: str = US_MOBILE, to: str = US_SENDER, **extra):
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": sender,
        "To": to,
        "Body": text,
        "NumMedia": "0",
        **extra,
    }
    return signed_post(
        client,
        INBOUND_URL,
        params,
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )


# -- outbound ---------------------------------------------------------------------------


def test_a_us_dealers_lead_gets_its_follow_up_by_sms_through_twilio(
    messages_twilio, dealer_us, rep_us1, new_york_morning, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us, assigned_to=rep_us1)

    assert run(django_capture_on_commit_callbacks, text_attempt(lead)) == "sent"

    message = OutboundMessage.objects.get(lead=lead)
    [request] = messages_twilio.messages_created()
    assert request.flat_params == {
        "To": US_MOBILE,
        "From": US_SENDER,
        "Body": message.body,
        "StatusCallback": f"{PUBLIC_URL}/twilio/messages/status/?m={message.pk}",
    }
    assert (message.channel, message.status, message.template) == ("sms", "sent", "sms:followup")
    assert message.body.startswith("Hello Anna")
    assert "Hudson Motors" in message.body
    assert gsm7_units(message.body) is not None
    lead.refresh_from_db()
    assert (lead.first_channel, lead.attempt_count) == ("sms", 1)


def test_a_messaging_service_sends_without_a_from_number(
    messages_twilio, dealer_us, new_york_morning, django_capture_on_commit_callbacks
):
    dealer_us.sms_sender = "MG" + "1" * 32
    dealer_us.save()
    lead = us_lead(dealer_us)

    run(django_capture_on_commit_callbacks, text_attempt(lead))

    [request] = messages_twilio.messages_created()
    assert request.param("MessagingServiceSid") == "MG" + "1" * 32
    assert request.param("From") is None


def test_whatsapp_first_texts_by_sms_only_where_whatsapp_is_missing(
    messages_twilio, dealer_a, django_capture_on_commit_callbacks
):
    dealer_a.text_channel = TextChannel.WHATSAPP_SMS
    dealer_a.sms_sender = "+4940123457"
    dealer_a.save()
    MessageTemplate.objects.create(
        dealer=dealer_a,
        channel="whatsapp",
        purpose=FOLLOWUP,
        language="de",
        label="Nachfrage",
        body="Hallo {first_name}, noch Fragen zum {vehicle}?",
        content_sid="HX" + "b2" * 16,
    )
    with_whatsapp = make_lead(dealer_a)
    refused_whatsapp = make_lead(dealer_a, phone="+491721234567", consent_whatsapp=False)

    run(django_capture_on_commit_callbacks, text_attempt(with_whatsapp))
    run(django_capture_on_commit_callbacks, text_attempt(refused_whatsapp))

    by_lead = dict(OutboundMessage.objects.values_list("lead_id", "channel"))
    assert by_lead == {with_whatsapp.pk: "whatsapp", refused_whatsapp.pk: "sms"}
    sms = [r for r in messages_twilio.messages_created() if not r.param("To").startswith("wh")]
    assert [(r.param("From"), r.param("To")) for r in sms] == [("+4940123457", "+491721234567")]


def test_a_dealer_who_keeps_whatsapp_never_texts_by_sms(
    messages_twilio, dealer_a, django_capture_on_commit_callbacks
):
    dealer_a.sms_sender = "+4940123457"
    dealer_a.save()
    lead = make_lead(dealer_a, consent_whatsapp=False)

    assert run(django_capture_on_commit_callbacks, text_attempt(lead)) == "skipped"

    assert not OutboundMessage.objects.exists()
    assert messages_twilio.messages_created() == []


def test_without_an_sms_sender_the_gate_says_so(dealer_us, new_york_morning):
    dealer_us.sms_sender = ""
    dealer_us.save()
    lead = us_lead(dealer_us)

    decision = contact_decide(lead=lead, channel="sms", action="message", record=False)

    assert (decision.allowed, decision.rule) == (False, "no_sender")


def test_the_sandbox_records_the_sms_and_plays_the_customers_reply(
    client,
    messages_sandbox,
    dealer_us,
    rep_us1,
    new_york_morning,
    django_capture_on_commit_callbacks,
):
    lead = us_lead(dealer_us, assigned_to=rep_us1)
    run(django_capture_on_commit_callbacks, text_attempt(lead, purpose=FIRST))
    client.force_login(rep_us1.user)

    page = client.get("/sandbox/messages/", HTTP_HX_REQUEST="true").content.decode()
    assert "SMS · " in page
    assert 'name="channel" value="sms"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/sandbox/messages/reply/",
            {"lead": lead.pk, "channel": "sms", "text": "Saturday 11 works"},
            HTTP_HX_REQUEST="true",
        )

    assert "Saturday 11 works" in response.content.decode()
    reply = InboundMessage.objects.get(lead=lead)
    assert (reply.channel, reply.sender, reply.recipient) == ("sms", US_MOBILE, US_SENDER)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REACHED


def test_a_salesperson_texts_a_us_customer_by_sms_from_the_lead_page(
    client,
    messages_twilio,
    dealer_us,
    rep_us1,
    new_york_morning,
    django_capture_on_commit_callbacks,
):
    lead = us_lead(dealer_us, assigned_to=rep_us1)
    offered = dict(message_templates(lead=lead))
    assert {"sms:free", "sms:followup"} <= set(offered)
    assert not any(key.startswith("whatsapp:") for key in offered)

    with django_capture_on_commit_callbacks(execute=True):
        message_send_manual(
            lead=lead, by=rep_us1, channel="sms", template="sms:free", text="Call you at 3?"
        )

    [request] = messages_twilio.messages_created()
    assert (request.param("From"), request.param("To"), request.param("Body")) == (
        US_SENDER,
        US_MOBILE,
        "Call you at 3?",
    )
    client.force_login(rep_us1.user)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "?channel=sms" in page


def test_a_us_customer_gets_the_appointment_confirmation_by_sms(
    messages_twilio, dealer_us, rep_us1, new_york_morning, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us, email="", preferred_channel="phone")
    lead.appointment_at = NEW_YORK_MORNING + dt.timedelta(days=2)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_booked(lead=lead, by=rep_us1)

    sent = OutboundMessage.objects.filter(lead=lead).order_by("id")
    assert [(m.channel, m.purpose, m.status) for m in sent] == [
        ("sms", "appointment", "sent"),
        ("sms", "reminder", "queued"),
    ]
    [request] = messages_twilio.messages_created()
    assert request.param("To") == US_MOBILE


# -- inbound ----------------------------------------------------------------------------


def test_an_sms_reply_is_recorded_on_the_lead_and_marks_it_reached(
    client, messages_twilio, dealer_us, rep_us1, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us, assigned_to=rep_us1)

    with django_capture_on_commit_callbacks(execute=True):
        response = sms_from(client, "Yes, is it still available?")

    assert response.status_code == 200
    assert response.content.decode().endswith("<Response></Response>")
    reply = InboundMessage.objects.get(lead=lead)
    assert (reply.channel, reply.text) == ("sms", "Yes, is it still available?")
    event = lead.events.get(kind=LeadEvent.Kind.INBOUND)
    assert event.data["channel"] == "sms"
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REACHED


@pytest.mark.parametrize(
    ("text", "opt_out_type"),
    [("STOP", "STOP"), ("stop", ""), ("Quit", "STOP"), ("BASTA", "STOP")],
)
def test_stop_by_sms_opts_the_person_out_of_every_channel(
    client,
    messages_twilio,
    dealer_us,
    text,
    opt_out_type,
    new_york_morning,
    django_capture_on_commit_callbacks,
):
    dealer_us.whatsapp_sender = "+12125550199"  # so that WhatsApp is refused for the opt-out
    dealer_us.save()
    lead = us_lead(dealer_us)
    other_inquiry = us_lead(dealer_us, vehicle_model="Tiguan")
    waiting = text_attempt(other_inquiry)
    extra = {"OptOutType": opt_out_type} if opt_out_type else {}

    with django_capture_on_commit_callbacks(execute=True):
        assert sms_from(client, text, **extra).status_code == 200

    lead.refresh_from_db()
    assert lead.opted_out
    assert lead.status == Lead.Status.CONTACTING
    opted_out = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.OPTED_OUT)
    assert opted_out.data == {"via": "sms"}
    assert InboundMessage.objects.get().opt_out
    assert set(Suppression.objects.values_list("channel", flat=True)) == {
        "phone",
        "sms",
        "whatsapp",
        "email",
    }
    for channel in ("sms", "whatsapp", "phone"):
        decision = contact_decide(lead=lead, channel=channel, action="message", record=False)
        assert decision.rule == "suppressed", channel
    waiting.refresh_from_db()
    assert waiting.status == Attempt.Status.CANCELLED
    assert run(django_capture_on_commit_callbacks, text_attempt(other_inquiry)) == "skipped"
    assert messages_twilio.messages_created() == []


@pytest.mark.parametrize("opt_out_type", ["HELP", "START"])
def test_help_and_start_are_replies_that_change_no_consent(
    client, messages_twilio, dealer_us, opt_out_type, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us)

    with django_capture_on_commit_callbacks(execute=True):
        sms_from(client, opt_out_type, OptOutType=opt_out_type)

    lead.refresh_from_db()
    assert not lead.opted_out
    assert InboundMessage.objects.get(lead=lead).text == opt_out_type


def test_unsigned_sms_webhook_is_refused(client, messages_twilio, dealer_us):
    lead = us_lead(dealer_us)

    response = client.post(INBOUND_URL, {"From": US_MOBILE, "To": US_SENDER, "Body": "STOP"})

    assert response.status_code == 403
    lead.refresh_from_db()
    assert not lead.opted_out


@pytest.mark.parametrize(
    "params",
    [
        {"From": "", "Body": "Hi"},
        {"Body": "Hi"},
        {"From": US_MOBILE, "To": "+19999999999", "Body": "Hi"},
        {"From": US_MOBILE, "Body": "Hi"},
        {"From": US_MOBILE, "Body": "bad\x00byte"},
        {"From": US_MOBILE + "9" * 300, "Body": "x" * 5000},
        {"From": US_MOBILE, "Body": "Hi", "OptOutType": "X" * 500},
    ],
)
def test_no_signed_input_answers_500(client, messages_twilio, dealer_us, params):
    us_lead(dealer_us)
    params = {"MessageSid": "SM" + secrets.token_hex(16), "To": US_SENDER, **params}

    response = signed_post(
        client, INBOUND_URL, params, public_url=PUBLIC_URL, auth_token=settings.TWILIO_AUTH_TOKEN
    )

    assert response.status_code == 200
    assert response.content.decode().endswith("<Response></Response>")


def test_a_nul_byte_is_dropped_and_the_reply_kept(
    client, messages_twilio, dealer_us, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us)

    with django_capture_on_commit_callbacks(execute=True):
        sms_from(client, "See you\x00 soon")

    assert InboundMessage.objects.get(lead=lead).text == "See you soon"


# -- 21610 and status callbacks -----------------------------------------------------------


def test_a_send_answered_with_21610_opts_the_person_out_and_is_never_retried(
    messages_twilio, dealer_us, new_york_morning, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us)
    messages_twilio.fail_next("Messages.json", status=400, code=21610)

    run(django_capture_on_commit_callbacks, text_attempt(lead))

    message = OutboundMessage.objects.get()
    assert (message.channel, message.status, message.error_code) == ("sms", "failed", "21610")
    lead.refresh_from_db()
    assert lead.opted_out
    assert lead.events.get(kind=LeadEvent.Kind.OPTED_OUT).data == {"via": "sms_provider"}
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=3)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due()
        assert not message_resend(message=message)
        assert run(django_capture_on_commit_callbacks, text_attempt(lead)) == "skipped"
    assert len(messages_twilio.requests) == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_an_sms_status_callback_moves_the_message_forward(
    client, messages_twilio, dealer_us, new_york_morning, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us)
    run(django_capture_on_commit_callbacks, text_attempt(lead))
    message = OutboundMessage.objects.get()

    response = signed_post(
        client,
        f"/twilio/messages/status/?m={message.pk}",
        {"MessageSid": message.provider_sid, "MessageStatus": "delivered"},
        public_url=PUBLIC_URL,
        auth_token=settings.TWILIO_AUTH_TOKEN,
    )

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_the_funnel_counts_leads_first_worked_by_sms(
    messages_twilio, dealer_us, new_york_morning, django_capture_on_commit_callbacks
):
    lead = us_lead(dealer_us)
    run(django_capture_on_commit_callbacks, text_attempt(lead))

    report = funnel_report(dealer=dealer_us, week=Week.containing(lead.received_at, dealer_us.tz))

    assert [(row.key, str(row.label)) for row in report.channels] == [("sms", "SMS")]


# -- the text of an SMS -------------------------------------------------------------------


def test_sms_text_uses_gsm7_lookalikes_instead_of_falling_into_ucs2():
    body = sms_body("„Golf“ – ab Samstag… très bientôt, garçon")

    assert body == '"Golf" - ab Samstag... très bientot, garcon'
    assert gsm7_units(body) == len(body)


def test_a_long_text_is_cut_at_a_word_to_three_segments():
    body = sms_body("Hallo Anna,\n\n" + "wir haben Ihren Golf für Sie reserviert. " * 30)

    assert segments(body) == 3
    assert body.endswith("reserviert...") or body.endswith("...")
    assert "\n\n" not in body


@pytest.mark.parametrize("language", ["de", "en", "nl", "fr"])
@pytest.mark.parametrize("purpose", [FIRST, FOLLOWUP, "close", "appointment", "reminder"])
def test_the_built_in_texts_fit_an_sms_in_every_language(dealer_us, language, purpose):
    lead = us_lead(dealer_us, language=language, appointment_at=NEW_YORK_MORNING)
    values = placeholders(lead=lead, language=language)

    body = sms_body(render(DEFAULTS[(purpose, language)]["body"], values))

    assert gsm7_units(body) is not None, body
    assert segments(body) <= 3
    assert "Anna" in body
