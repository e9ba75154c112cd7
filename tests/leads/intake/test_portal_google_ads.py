"""Google Ads lead form webhook: POST /hooks/<slug>/google-ads/, google_key in the body."""

from __future__ import annotations

from leads.models import IntakeRecord, Lead, LeadEvent
from tests.leads.intake.portals import google_lead, post_google


def test_google_lead_is_created_and_answered_with_an_empty_json_200(client, dealer_a, rep_a1):
    response = post_google(client, "nord", google_lead())

    assert response.status_code == 200
    assert response.json() == {}
    lead = Lead.objects.get()
    assert (lead.source, lead.sources, lead.is_test) == ("google-ads", ["google-ads"], False)
    assert lead.external_id.startswith("TeSter-123-")
    assert (lead.first_name, lead.last_name) == ("Anna", "Schmidt")
    assert (lead.phone, lead.email) == ("+491711234567", "anna.schmidt@example.de")
    assert lead.vehicle_model == "Tiguan"
    assert "When do you plan to purchase a vehicle?: Within 1 month" in lead.message
    assert lead.raw_payload["google_ads"]["campaign_id"] == 12345
    assert lead.assigned_to == rep_a1
    record = IntakeRecord.objects.get()
    assert (record.format, record.outcome, record.status_code) == ("google-ads", "created", 201)


def test_google_redelivery_is_one_lead_and_still_an_empty_200(client, dealer_a, rep_a1):
    post_google(client, "nord", google_lead())
    again = post_google(client, "nord", google_lead())

    assert (again.status_code, again.json()) == (200, {})
    assert Lead.objects.count() == 1
    assert IntakeRecord.objects.filter(outcome="duplicate").count() == 1


def test_google_test_lead_is_stored_flagged_and_never_contacted(
    client, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_google(client, "nord", google_lead(is_test=True))

    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.is_test is True
    # The engine is told (it checks is_test itself); what matters here is the flag it reads.
    assert lead.status == "new"


def test_a_test_lead_does_not_join_a_real_customers_open_lead(client, dealer_a, rep_a1):
    post_google(client, "nord", google_lead(lead_id="real-1"))
    post_google(client, "nord", google_lead(lead_id="test-1", is_test=True))

    real, test = Lead.objects.order_by("pk")
    assert (real.is_test, test.is_test) == (False, True)
    assert not real.events.filter(kind=LeadEvent.Kind.REPEAT_INQUIRY).exists()


def test_google_lead_without_contact_is_422_and_recorded(client, dealer_a, rep_a1):
    response = post_google(client, "nord", google_lead(email="", phone=""))

    assert response.status_code == 422
    assert IntakeRecord.objects.get().outcome == "rejected"
    assert Lead.objects.count() == 0
