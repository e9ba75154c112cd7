"""The conversation on the lead page (issue 16): every message either way as bubbles, a reply
box bound by WhatsApp's 24-hour window, unread replies marked in the queue, the call from
the salesperson's own phone asked about afterwards, and the page read phone-first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import InboundMessage, MessageTemplate, OutboundMessage
from leads.models import Lead, LeadEvent
from tests.conftest import make_lead

Status = OutboundMessage.Status


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def anna(dealer_a, rep_a1) -> Lead:
    return make_lead(
        dealer_a,
        rep_a1,
        status=Lead.Status.CONTACTING,
        message="Ist der Golf noch da?",
        consent_whatsapp=True,
        preferred_channel=Lead.Channel.WHATSAPP,
        language="de",
    )


def sent(lead, body, *, channel="whatsapp", status=Status.DELIVERED, minutes_ago=30):
    return OutboundMessage.objects.create(
        dealer=lead.dealer,
        lead=lead,
        channel=channel,
        purpose="first",
        to=lead.phone,
        body=body,
        status=status,
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def reply(lead, text, *, channel="whatsapp", minutes_ago=10):
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    lead.log(LeadEvent.Kind.INBOUND, at=at, note=text, data={"channel": channel})
    if channel == "whatsapp":
        lead.last_inbound_at = at
        lead.save(update_fields=["last_inbound_at"])
    return InboundMessage.objects.create(
        dealer=lead.dealer, lead=lead, channel=channel, sender=lead.phone, text=text, received_at=at
    )


def page(client, lead, **params) -> str:
    return client.get(reverse("lead", args=[lead.pk]), params).content.decode()


def queue_html(client, **params) -> str:
    return client.get(reverse("queue"), params).content.decode()


def test_the_whatsapp_exchange_shows_in_order_with_delivery_state_in_words(
    messages_sandbox, lena, anna
):
    sent(anna, "Hallo Anna, der Golf ist noch da.", minutes_ago=60)
    reply(anna, "Super, kann ich Samstag kommen?", minutes_ago=30)
    sent(anna, "Samstag 10 Uhr passt.", status=Status.FAILED, minutes_ago=5)

    html = page(lena, anna)
    conversation = html[html.index('id="conversation"') :]

    first = conversation.index("Hallo Anna, der Golf ist noch da.")
    answer = conversation.index("Super, kann ich Samstag kommen?")
    last = conversation.index("Samstag 10 Uhr passt.")
    assert first < answer < last
    assert 'class="bubble out whatsapp"' in conversation
    assert 'class="bubble in whatsapp"' in conversation
    assert "Delivered" in conversation and "Failed" in conversation


def test_email_and_whatsapp_share_one_conversation(messages_sandbox, lena, anna):
    sent(anna, "Ihre Anfrage zum Golf", channel="email", minutes_ago=90)
    reply(anna, "Danke für die Mail", channel="email", minutes_ago=80)
    sent(anna, "Kurz per WhatsApp nachgefragt", minutes_ago=20)

    html = page(lena, anna)

    assert 'class="bubble out email"' in html
    assert 'class="bubble in email"' in html
    assert html.index("Danke für die Mail") < html.index("Kurz per WhatsApp nachgefragt")


def test_inside_the_24_hour_window_the_reply_box_sends_free_text_on_whatsapp(
    messages_sandbox, lena, anna
):
    reply(anna, "Ist er unfallfrei?", minutes_ago=120)

    html = page(lena, anna)
    assert 'name="text"' in html[html.index('id="reply-form"') :]
    assert 'name="channel" value="whatsapp"' in html

    response = lena.post(
        reverse("lead-action", args=[anna.pk, "message"]),
        {"channel": "whatsapp", "template": "", "text": "Ja, unfallfrei und scheckheftgepflegt."},
        follow=True,
    )

    message = OutboundMessage.objects.get(lead=anna)
    assert (message.channel, message.body) == (
        "whatsapp",
        "Ja, unfallfrei und scheckheftgepflegt.",
    )
    assert "Ja, unfallfrei und scheckheftgepflegt." in response.content.decode()


def test_outside_the_window_the_reply_box_offers_only_approved_templates(
    messages_twilio, lena, anna
):
    MessageTemplate.objects.create(
        dealer=anna.dealer,
        channel="whatsapp",
        purpose="followup",
        language="de",
        label="Kurz nachgefragt",
        body="Hallo {first_name}, noch Fragen?",
        content_sid="HX" + "f" * 32,
    )
    reply(anna, "Ist er unfallfrei?", minutes_ago=25 * 60)

    html = page(lena, anna, channel="whatsapp")
    form = html[
        html.index('id="reply-form"') : html.index("</form>", html.index('id="reply-form"'))
    ]

    assert 'name="text"' not in form
    assert "WhatsApp only delivers approved templates" in form
    assert "Kurz nachgefragt" in form
    assert "Erste Nachricht" not in form, "not approved by Meta: not offered"


def test_an_unread_reply_is_marked_in_the_queue_until_the_salesperson_opens_the_lead(
    messages_sandbox, client, lena, anna, manager_a
):
    reply(anna, "Hallo?")
    assert "New reply" in queue_html(lena)

    client.force_login(manager_a.user)
    page(client, anna)
    client.force_login(anna.assigned_to.user)
    assert "New reply" in queue_html(client), "a manager's look does not read it for Lena"

    assert "1 new reply" in page(client, anna)
    assert "New reply" not in queue_html(client)

    reply(anna, "Noch da?", minutes_ago=-1)
    assert "New reply" in queue_html(client)


def test_dialling_from_my_own_phone_asks_for_the_outcome_until_it_is_logged(lena, anna):
    queue = queue_html(lena)
    assert f'data-dial="{reverse("lead-action", args=[anna.pk, "dial"])}"' in queue

    response = lena.post(reverse("lead-action", args=[anna.pk, "dial"]))

    assert response.status_code == 204
    anna.refresh_from_db()
    assert anna.own_dial_at is not None
    assert anna.events.filter(kind=LeadEvent.Kind.CALL, data__event="own phone").exists()
    assert "how did it go?" in queue_html(lena)
    assert 'id="dial-outcome"' in page(lena, anna)

    lena.post(reverse("lead-action", args=[anna.pk, "outcome"]), {"outcome": "no_answer"})

    anna.refresh_from_db()
    assert anna.own_dial_at is None
    assert "how did it go?" not in queue_html(lena)
    assert 'id="dial-outcome"' not in page(lena, anna)


def test_the_queue_call_button_rings_through_leadflow(lena, anna):
    html = queue_html(lena)
    call = reverse("lead-action", args=[anna.pk, "call"])

    assert f'action="{call}"' in html
    assert f'href="tel:{anna.phone}" data-dial=' in html


def test_who_the_car_the_question_and_the_next_step_come_before_the_actions(
    messages_sandbox, lena, anna
):
    html = page(lena, anna)

    summary = html.index('id="lead-summary"')
    assert summary < html.index("Ist der Golf noch da?") < html.index('id="h-contact"')
    assert summary < html.index("Volkswagen Golf") < html.index('id="h-contact"')
    assert html.index('id="next-step"') < html.index('id="h-contact"')
    assert html.index('id="conversation"') < html.index('id="h-contact"')


def test_an_opted_out_customer_gets_no_reached_buttons_nor_a_consent_form(
    messages_sandbox, lena, anna
):
    anna.opted_out_at = timezone.now()
    anna.save(update_fields=["opted_out_at"])

    html = page(lena, anna)

    assert 'value="reached"' not in html
    assert reverse("lead-action", args=[anna.pk, "consent"]) not in html
    assert "consent cannot be recorded" in html
    assert "The customer opted out. Do not call or message them." in html


def test_a_search_without_results_says_what_was_searched(lena, anna):
    html = queue_html(lena, q="Zzyzx")

    assert "Well done" not in html
    assert "No leads here match “Zzyzx”." in html


def test_a_whatsapp_and_an_sms_exchange_share_one_conversation(messages_sandbox, lena, anna):
    sent(anna, "Hallo Anna, der Golf ist noch da.", minutes_ago=90)
    reply(anna, "Super, danke!", minutes_ago=80)
    sent(anna, "Samstag 10 Uhr? Antworten Sie mit JA.", channel="sms", minutes_ago=20)
    reply(anna, "JA", channel="sms", minutes_ago=5)

    html = page(lena, anna)
    conversation = html[html.index('id="conversation"') :]
    assert (
        conversation.index("Hallo Anna")
        < conversation.index("Super, danke!")
        < conversation.index("Samstag 10 Uhr?")
        < conversation.index(">JA<")
    )
    assert 'class="bubble out sms"' in conversation
    assert 'class="bubble in sms"' in conversation
    assert 'class="bubble in whatsapp"' in conversation
