"""The manager's template page: texts per language with a preview, WhatsApp gaps flagged;
the lead page's message form opens on the channel and template that fit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followup.models import MessageTemplate, OutboundMessage
from tests.followup.messages_support import make_lead


@pytest.fixture
def petra(client, manager_a):
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "de"
    return client


def test_the_manager_sees_every_first_answer_in_dutch(petra):
    html = petra.get("/templates/?channel=email&language=nl").content.decode()

    assert "Eerste bericht: prijs" in html
    assert "Eerste bericht: proefrit" in html
    assert "Nachrichtenvorlagen" in html


def test_salespeople_cannot_open_the_template_page(client, rep_a1):
    client.force_login(rep_a1.user)

    assert client.get("/templates/").status_code == 404


def test_preview_shows_the_text_for_a_customer_without_saving(petra, dealer_a):
    url = "/templates/email/first_price/fr/"
    form = {
        "label": "Prix",
        "subject": "Prix de la {vehicle}",
        "body": "Bonjour {first_name}, {price}.",
        "preview": "1",
    }

    html = petra.post(url, form).content.decode()

    assert "Bonjour Anna, 21\u202f990\u00a0€." in html
    assert not MessageTemplate.objects.filter(dealer=dealer_a).exists()


def test_saving_keeps_the_dealers_own_words_for_that_language(petra, dealer_a):
    url = "/templates/email/first_price/fr/"
    form = {
        "label": "Prix",
        "subject": "Prix de la {vehicle}",
        "body": "Bonjour {first_name}, {price}.",
        "save": "1",
    }

    response = petra.post(url, form)

    assert response.status_code == 302
    row = MessageTemplate.objects.get(dealer=dealer_a, purpose="first_price", language="fr")
    assert row.body == "Bonjour {first_name}, {price}." and row.subject == "Prix de la {vehicle}"


def test_an_unknown_placeholder_is_refused_with_its_name(petra, dealer_a):
    form = {"label": "X", "subject": "", "body": "Hallo {vorname}", "save": "1"}

    response = petra.post("/templates/whatsapp/followup/de/", form)

    assert response.status_code == 200
    assert "{vorname}" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_whatsapp_without_approved_templates_is_flagged_to_the_manager(petra, fake_twilio):
    html = petra.get("/templates/?channel=whatsapp").content.decode()

    assert "WhatsApp-Nachrichten, die nicht rausgehen" in html
    assert "Erste Nachricht: Verfügbarkeit" in html


def test_the_message_form_opens_on_whatsapp_for_a_whatsapp_customer(
    client, dealer_a, rep_a1, messages_sandbox
):
    lead = make_lead(dealer_a, assigned_to=rep_a1, message="Ist der Golf noch verfügbar?")
    client.force_login(rep_a1.user)

    form = client.get(f"/leads/{lead.pk}/").context["message_form"]

    assert form.selected_channel == "whatsapp"
    assert [key for key, _label in form.fields["template"].choices] == [
        "whatsapp:first_availability",
        "whatsapp:followup",
        "whatsapp:close",
    ]


def test_outside_the_window_typed_whatsapp_text_is_refused_not_dropped(
    client, dealer_a, rep_a1, messages_twilio
):
    lead = make_lead(dealer_a, assigned_to=rep_a1)
    client.force_login(rep_a1.user)

    response = client.post(
        f"/leads/{lead.pk}/message/",
        {"channel": "email", "template": "email:followup", "text": "Wann passt es Ihnen?"},
        follow=True,
    )

    [email] = OutboundMessage.objects.filter(lead=lead)
    assert email.body == "Wann passt es Ihnen?"
    response = client.post(
        f"/leads/{lead.pk}/message/",
        {"channel": "whatsapp", "template": "", "text": "Hallo!"},
        follow=True,
    )
    assert OutboundMessage.objects.filter(lead=lead).count() == 1
    assert "24" in response.content.decode()


def test_inside_the_window_typed_whatsapp_text_goes_as_free_text(
    client, dealer_a, rep_a1, messages_twilio, django_capture_on_commit_callbacks
):
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    lead = make_lead(dealer_a, assigned_to=rep_a1, last_inbound_at=an_hour_ago)
    client.force_login(rep_a1.user)
    typed = {"channel": "whatsapp", "template": "whatsapp:followup", "text": "Bis Samstag!"}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/leads/{lead.pk}/message/", typed)

    [message] = OutboundMessage.objects.filter(lead=lead)
    assert message.channel == "whatsapp" and message.body == "Bis Samstag!"
    [sent] = messages_twilio.messages_created()
    assert sent.param("Body") == "Bis Samstag!" and sent.param("ContentSid") is None


def test_a_skipped_whatsapp_reads_as_not_sent_on_the_timeline(client, dealer_a, rep_a1):
    from leads.models import LeadEvent

    lead = make_lead(dealer_a, assigned_to=rep_a1)
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": "whatsapp", "status": "skipped", "purpose": "first", "reason": "x"},
    )
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "de"

    html = client.get(f"/leads/{lead.pk}/").content.decode()

    assert "WhatsApp-Nachricht nicht gesendet (erste Nachricht)" in html
    assert "WhatsApp-Nachricht gesendet" not in html
