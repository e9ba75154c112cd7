"""ADF by email through anymail's Postmark inbound webhook (basic auth WEBHOOK_SECRET)."""

from __future__ import annotations

from email import message_from_string
from email.policy import default as default_policy

import pytest
from django.test import override_settings

from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead
from tests.leads.intake.portals import WEBHOOK_SECRET, adf_document, post_postmark, postmark_inbound

pytestmark = pytest.mark.usefixtures("_anymail_secret")


@pytest.fixture
def _anymail_secret():
    with override_settings(
        ANYMAIL={"WEBHOOK_SECRET": WEBHOOK_SECRET}, LEADFLOW_EMAIL_ESP="postmark"
    ):
        yield


def test_adf_attachment_becomes_an_assigned_lead_of_the_receiving_dealer(
    client, dealer_a, dealer_b, rep_a1, rep_b1
):
    payload = postmark_inbound(
        text="Neue Anfrage, siehe Anhang.",
        attachments=[("lead.xml", "application/xml", adf_document())],
    )

    response = post_postmark(client, payload)

    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.dealer == dealer_a
    assert lead.assigned_to == rep_a1
    assert (lead.source, lead.external_id) == ("autoscout24", "as24-4711")
    assert (lead.first_name, lead.last_name, lead.phone) == ("Anna", "Schmidt", "+491711234567")
    assert (lead.vehicle_make, lead.vehicle_model) == ("Volkswagen", "Golf")
    record = IntakeRecord.objects.get()
    assert (record.format, record.outcome, record.dealer) == ("adf-email", "created", dealer_a)
    assert record.headers["Subject"] == "Neue Anfrage über AutoScout24"


def test_adf_in_the_text_body_becomes_a_lead(client, dealer_a, rep_a1):
    text = "Sehr geehrte Damen und Herren,\n\n" + adf_document().decode() + "\n-- \nAutoScout24"

    post_postmark(client, postmark_inbound(text=text))

    assert Lead.objects.get().email == "anna.schmidt@example.de"


def test_adf_without_prospect_id_redelivered_by_the_esp_is_one_lead(client, dealer_a, rep_a1):
    body = adf_document(prospect_id="").replace(b'<id sequence="1" source="AutoScout24"></id>', b"")
    payload = postmark_inbound(attachments=[("lead.adf", "text/plain", body)])

    post_postmark(client, payload)
    post_postmark(client, payload)

    lead = Lead.objects.get()
    assert lead.external_id.startswith("email:<20261123095800.4711@")
    assert list(IntakeRecord.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "created",
        "duplicate",
    ]


def test_email_without_adf_is_recorded_as_rejected_with_the_reason(client, dealer_a, rep_a1):
    response = post_postmark(client, postmark_inbound(text="Bitte rufen Sie mich an."))

    assert response.status_code == 200
    assert Lead.objects.count() == 0
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.status_code) == ("rejected", 400)
    assert "no ADF document" in record.error
    kept = message_from_string(record.body_text, policy=default_policy)
    assert kept.get_body(("plain",)).get_content().strip() == "Bitte rufen Sie mich an."


def test_rejected_email_is_replayable_after_a_fix(client, dealer_a, rep_a1):
    bad = adf_document(phone="", email="")
    post_postmark(client, postmark_inbound(attachments=[("lead.xml", "text/xml", bad)]))
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.status_code) == ("rejected", 422)

    # The admin corrects the contact in the stored message (attachments are base64 in MIME).
    text = record.body_text
    record.body = text.replace(
        text[text.index("Content-Type: text/xml") :],
        "Content-Type: text/xml\nContent-Disposition: attachment; filename=lead.xml\n\n"
        + adf_document().decode()
        + "\n",
    ).encode()
    record.save()

    assert intake_record_replay(record=record).outcome == "created"


def test_email_to_another_address_is_not_ours(client, dealer_a, rep_a1):
    payload = postmark_inbound(
        to="reply+lead-17@nord.example", attachments=[("lead.xml", "text/xml", adf_document())]
    )

    assert post_postmark(client, payload).status_code == 200
    assert IntakeRecord.objects.count() == 0
    assert Lead.objects.count() == 0


def test_inbound_without_the_webhook_secret_is_refused(client, dealer_a, rep_a1):
    payload = postmark_inbound(attachments=[("lead.xml", "text/xml", adf_document())])

    response = post_postmark(client, payload, secret="postmark:wrong")

    assert response.status_code == 400
    assert Lead.objects.count() == 0
