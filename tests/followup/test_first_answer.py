"""The first answer answers: the car, its price and stock number, in the customer's language,
by an email and a WhatsApp template that really sends."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail

from followup.channels import templates as tpl
from followup.channels.content_sync import whatsapp_gaps, whatsapp_templates_sync
from followup.channels.texts import DEFAULTS
from followup.models import Attempt, MessageTemplate, OutboundMessage
from leads.intent import lead_intent
from leads.models import LeadEvent
from tests.followup.conftest import PUBLIC
from tests.followup.messages_support import make_lead


def approve_all(fake, dealer) -> None:
    """Sync with the fake, let "Meta" approve everything, and read the approvals back."""
    whatsapp_templates_sync(dealer=dealer)
    for sid in fake.contents():
        fake.set_approval(sid, "approved")
    whatsapp_templates_sync(dealer=dealer)


def test_the_sample_leads_first_email_and_whatsapp_carry_price_and_stock_number(
    post_lead, dealer_a, rep_a1, fake_twilio
):
    approve_all(fake_twilio, dealer_a)

    lead = post_lead()

    [email] = [m for m in mail.outbox if m.to == ["anna.schmidt@example.de"]]
    assert email.subject == "Ist der Volkswagen Golf 2023 noch da? Ihre Antwort von Autohaus Nord"
    assert "21.990\u00a0€" in email.body and "Bestandsnr. A1234" in email.body
    assert "Lena Test von Autohaus Nord" in email.body
    assert "Buchen Sie hier direkt einen Termin" in email.body
    assert f"{PUBLIC}/book/" in email.body
    html = email.alternatives[0][0]
    assert '<td style="padding: 2px 16px; font-weight: bold;">21.990\u00a0€</td>' in html
    [whatsapp] = fake_twilio.messages_created()
    content = fake_twilio.contents()[whatsapp.param("ContentSid")]
    assert content["friendly_name"] == "lf_nord_first_availability_de_r1"
    variables = json.loads(whatsapp.param("ContentVariables"))
    text = re.sub(
        r"\{\{(\d+)\}\}", lambda m: variables[m[1]], content["types"]["twilio/text"]["body"]
    )
    assert "Volkswagen Golf 2023 · Gebrauchtwagen · 21.990 € · Bestandsnr. A1234" in text
    assert text.startswith("Hallo Anna,")
    assert "Buchen Sie hier direkt einen Termin für Besichtigung oder Probefahrt: http" in text
    message = OutboundMessage.objects.get(lead=lead, channel="whatsapp")
    assert message.status == OutboundMessage.Status.SENT and message.counted_at is not None


def test_content_api_sync_creates_submits_and_reads_meta_s_decision(dealer_a, fake_twilio):
    result = whatsapp_templates_sync(dealer=dealer_a)

    rows = {t.purpose: t for t in MessageTemplate.objects.filter(dealer=dealer_a, language="de")}
    assert result.created == result.submitted == len(rows) > 5
    first = rows["first_price"]
    content = fake_twilio.contents()[first.content_sid]
    assert content["language"] == "de"
    assert content["types"]["twilio/text"]["body"].startswith(
        "Hallo {{1}},\n\nder {{2}} kostet {{3}}."
    )
    assert first.variables[:3] == ["first_name", "vehicle", "price"]
    assert fake_twilio.approval(first.content_sid)["category"] == "UTILITY"
    assert fake_twilio.approval(rows["followup"].content_sid)["category"] == "MARKETING"
    assert first.approval_status == "received" and not first.is_approved

    fake_twilio.set_approval(first.content_sid, "approved")
    fake_twilio.set_approval(rows["followup"].content_sid, "rejected", "Variables at the end")
    again = whatsapp_templates_sync(dealer=dealer_a)

    assert again.created == again.submitted == 0 and again.checked == len(rows)
    first.refresh_from_db()
    rejected = MessageTemplate.objects.get(pk=rows["followup"].pk)
    assert first.is_approved
    assert rejected.approval_status == "rejected"
    assert rejected.rejection_reason == "Variables at the end"


def test_an_edited_whatsapp_text_goes_back_to_meta_as_a_new_revision(dealer_a, fake_twilio):
    approve_all(fake_twilio, dealer_a)
    row = MessageTemplate.objects.get(dealer=dealer_a, purpose="followup", language="de")
    old_sid = row.content_sid

    row.change_text(
        label=row.label,
        subject="",
        body="Hallo {first_name}, noch Fragen?",
        variables=["first_name"],
    )
    row.save()
    assert not row.is_approved
    whatsapp_templates_sync(dealer=dealer_a)

    row.refresh_from_db()
    assert row.content_sid != old_sid and row.revision == 2
    assert fake_twilio.approval(row.content_sid)["name"] == "lf_nord_followup_de_r2"


def test_a_failing_content_api_leaves_the_template_for_the_next_sync(dealer_a, fake_twilio):
    fake_twilio.fail_next("/v1/Content", status=500, code=20500, times=100)

    result = whatsapp_templates_sync(dealer=dealer_a)

    assert result.created == 0 and result.failed > 0
    row = MessageTemplate.objects.filter(dealer=dealer_a, purpose="first").first()
    assert row.content_sid == "" and row.approval_status == "failed"
    fake_twilio.reset()
    assert whatsapp_templates_sync(dealer=dealer_a).created == result.failed


def test_whatsapp_without_an_approved_template_is_flagged_and_never_counted(
    post_lead, dealer_a, rep_a1, fake_twilio
):
    gaps = whatsapp_gaps(dealer_a)
    assert ("first_availability", "de") in {(g.purpose, g.language) for g in gaps}
    assert ("followup", "de") in {(g.purpose, g.language) for g in gaps}

    lead = post_lead()

    assert fake_twilio.messages_created() == []
    assert not OutboundMessage.objects.filter(lead=lead, channel="whatsapp").exists()
    skipped = lead.events.get(kind=LeadEvent.Kind.MESSAGE, data__status="skipped")
    assert "no approved WhatsApp template" in skipped.data["reason"]
    attempt = Attempt.objects.get(lead=lead, key="first_whatsapp")
    assert attempt.outcome == "not applicable"
    email = OutboundMessage.objects.get(lead=lead, channel="email")
    assert email.counted_at is not None
    lead.refresh_from_db()
    assert lead.attempt_count == 2  # the first ring and the email; not the WhatsApp


def test_a_whatsapp_twilio_refuses_does_not_count(post_lead, dealer_a, rep_a1, fake_twilio):
    approve_all(fake_twilio, dealer_a)
    fake_twilio.fail_next("Messages.json", status=400, code=21211)

    lead = post_lead()

    message = OutboundMessage.objects.get(lead=lead, channel="whatsapp")
    assert message.status == OutboundMessage.Status.FAILED
    assert message.counted_at is None
    assert OutboundMessage.objects.get(lead=lead, channel="email").counted_at is not None
    lead.refresh_from_db()
    assert lead.attempt_count == 2  # the first ring and the email


@pytest.mark.parametrize(("purpose", "language"), sorted(DEFAULTS))
def test_every_built_in_template_renders_in_its_language(dealer_a, rep_a1, purpose, language):
    lead = make_lead(
        dealer_a,
        assigned_to=rep_a1,
        language=language,
        vehicle_year=2023,
        vehicle_condition="used",
        vehicle_stock_number="A1234",
        vehicle_price=21990,
    )
    values = tpl.placeholders(lead=lead, language=language)
    resolved = tpl.template_resolve(lead=lead, channel="email", purpose=purpose)

    subject = tpl.render(resolved.subject, values)
    body = tpl.render(resolved.body, values)

    assert resolved.language == language
    assert "{" not in subject + body
    if language != "en":
        english = tpl.render(DEFAULTS[(purpose, "en")]["body"], values)
        assert body != english
        assert "the {vehicle}" not in body and " is " not in body
    if purpose.startswith("first"):
        price = {
            "de": "21.990\u00a0€",
            "en": "€21,990",
            "nl": "€\u00a021.990",
            "fr": "21\u202f990\u00a0€",
        }
        assert price[language] in body
        assert "A1234" in body


def test_a_bdc_lead_is_signed_by_the_dealers_team(dealer_a, messages_sandbox):
    lead = make_lead(dealer_a, assigned_to=None, language="de", bdc=True)
    values = tpl.placeholders(lead=lead, language="de")

    body = tpl.render(DEFAULTS[("first", "de")]["body"], values)

    assert "Autohaus Nord von Autohaus Nord" not in body
    assert "Ihr Team von Autohaus Nord" in body


@pytest.mark.parametrize(
    ("fields", "intent"),
    [
        ({"message": "Ist der Golf noch verfügbar?"}, "availability"),
        ({"message": "Was ist Ihr bester Preis?"}, "price"),
        ({"message": "Wat is de prijs?"}, "price"),
        ({"message": "Je voudrais faire un essai samedi."}, "test_drive"),
        ({"message": "Ich möchte meinen alten Passat in Zahlung geben."}, "trade_in"),
        ({"message": "", "raw_payload": {"inquiry_type": "Test-Drive"}}, "test_drive"),
        (
            {"message": "", "raw_payload": {"adf": {"other_vehicles": [{"interest": "trade-in"}]}}},
            "trade_in",
        ),
        ({"message": "Bitte um Rückruf."}, "general"),
    ],
)
def test_the_first_answer_is_chosen_from_the_leads_question(dealer_a, fields, intent):
    lead = make_lead(dealer_a, **fields)

    assert lead_intent(lead) == intent


def test_the_beat_task_submits_every_dealers_whatsapp_templates(dealer_a, dealer_b, fake_twilio):
    from followup.tasks import sync_whatsapp_templates

    dealer_b.language, dealer_b.whatsapp_sender = "nl", "+31201234567"
    dealer_b.save(update_fields=["language", "whatsapp_sender"])

    done = sync_whatsapp_templates.apply().get()

    assert done == 2
    names = {approval["name"] for approval in map(fake_twilio.approval, fake_twilio.contents())}
    assert "lf_nord_first_price_de_r1" in names and "lf_zuid_first_price_nl_r1" in names


def test_the_inventorys_word_and_a_booking_link_plug_into_the_same_placeholders(dealer_a, rep_a1):
    from followup.channels.context import first_message_context

    lead = make_lead(dealer_a, assigned_to=rep_a1, vehicle_year=2023, vehicle_price=21990)
    sold = {
        "availability": "sold",
        "photo_url": "https://cdn.example/golf.jpg",
        "similar": [
            {"make": "Volkswagen", "model": "Golf", "year": 2022, "price": 19990},
            {"make": "Seat", "model": "Leon", "year": 2023, "price": 20490},
        ],
    }

    available = first_message_context(
        lead=lead,
        language="en",
        vehicle="Volkswagen Golf 2023",
        offer={"availability": "available"},
        booking_url="https://leadflow.example/b/x/",
    )
    gone = first_message_context(
        lead=lead, language="de", vehicle="Volkswagen Golf 2023", offer=sold
    )

    assert available["availability"] == "Good news: the Volkswagen Golf 2023 is available."
    assert (
        available["next_step"] == "Book a viewing or test drive here: https://leadflow.example/b/x/"
    )
    assert gone["availability"] == (
        "Der Volkswagen Golf 2023 ist leider schon verkauft. Ähnliche Fahrzeuge bei uns: "
        "Volkswagen Golf 2022 · 19.990\u00a0€; Seat Leon 2023 · 20.490\u00a0€."
    )
    assert gone["card"]["photo_url"] == "https://cdn.example/golf.jpg"


def test_a_lead_for_a_sold_car_hears_so_with_two_similar_cars_in_stock(
    post_lead, dealer_a, rep_a1, messages_sandbox
):
    from dealers.models import Vehicle

    def car(stock, model, price, status="available"):
        Vehicle.objects.create(
            dealer=dealer_a,
            stock_number=stock,
            make="Volkswagen",
            model=model,
            year=2022,
            condition="used",
            price=price,
            status=status,
        )

    car("A1234", "Golf", 21990, status="sold")
    car("B2", "Golf", 20990)
    car("B3", "Golf", 23490)

    post_lead()

    [email] = [m for m in mail.outbox if m.to == ["anna.schmidt@example.de"]]
    assert "ist leider schon verkauft" in email.body
    assert (
        "Volkswagen Golf 2022 · 20.990\u00a0€; Volkswagen Golf 2022 · 23.490\u00a0€" in email.body
    )
