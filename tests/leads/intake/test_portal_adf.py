"""ADF 1.0 over HTTP: POST /hooks/<slug>/leads/ with application/xml or text/xml."""

from __future__ import annotations

import datetime as dt

import pytest

from leads.intake.pipeline import intake_record_replay
from leads.models import IntakeRecord, Lead
from tests.conftest import TOKEN_B
from tests.leads.intake.portals import adf_document, post_adf


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml; charset=utf-8"])
def test_adf_lead_is_created_assigned_with_its_fields(client, dealer_a, rep_a1, content_type):
    response = post_adf(client, "nord", adf_document(), content_type=content_type)

    assert response.status_code == 201, response.json()
    assert response.json()["assigned_to"] == "Lena Test"
    lead = Lead.objects.get()
    assert (lead.source, lead.external_id, lead.sources) == (
        "autoscout24",
        "as24-4711",
        ["autoscout24"],
    )
    assert (lead.first_name, lead.last_name) == ("Anna", "Schmidt")
    assert (lead.phone, lead.email) == ("+491711234567", "anna.schmidt@example.de")
    assert (lead.vehicle_make, lead.vehicle_model, lead.vehicle_year) == (
        "Volkswagen",
        "Golf",
        2023,
    )
    assert lead.vehicle_condition == "used"
    assert str(lead.vehicle_price) == "21990.00"
    assert lead.message == "Ist der Golf noch verfügbar?"
    assert lead.portal_received_at == dt.datetime(2026, 11, 23, 8, 58, tzinfo=dt.UTC)
    assert lead.assigned_to == rep_a1
    record = IntakeRecord.objects.get()
    assert (record.format, record.outcome, record.lead) == ("adf", "created", lead)


def test_latin1_adf_keeps_its_umlauts(client, dealer_a, rep_a1):
    body = adf_document(last="Müller", comments="Größe passt", encoding="ISO-8859-1")

    response = post_adf(client, "nord", body)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.last_name, lead.message) == ("Müller", "Größe passt")


def test_adf_redelivery_is_the_same_lead(client, dealer_a, rep_a1):
    first = post_adf(client, "nord", adf_document())
    again = post_adf(client, "nord", adf_document())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["outcome"] == "duplicate"
    assert Lead.objects.count() == 1


def test_adf_needs_the_dealers_bearer_token(client, dealer_a, dealer_b, rep_a1):
    assert post_adf(client, "nord", adf_document(), token=None).status_code == 401
    assert post_adf(client, "nord", adf_document(), token=TOKEN_B).status_code == 401
    assert Lead.objects.count() == 0
    assert set(IntakeRecord.objects.values_list("status_code", flat=True)) == {401}


def test_adf_without_contact_details_is_422_and_replayable_after_a_fix(client, dealer_a, rep_a1):
    response = post_adf(client, "nord", adf_document(email="", phone=""))

    assert response.status_code == 422
    assert "customer" in response.json()["errors"]
    record = IntakeRecord.objects.get()
    assert (record.outcome, record.format) == ("rejected", "adf")

    record.body = adf_document()
    record.save()
    result = intake_record_replay(record=record)

    assert result.outcome == "created"
    assert Lead.objects.get().source == "autoscout24"
