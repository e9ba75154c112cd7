"""One lead per shopper, whichever portals they use (DESIGN §3)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from leads.models import IntakeRecord, Lead, LeadEvent
from tests.leads.intake.portals import (
    WEBHOOK_SECRET,
    adf_document,
    google_lead,
    meta_lead,
    meta_notification,
    post_adf,
    post_google,
    post_meta,
    post_postmark,
    postmark_inbound,
)


def followups(lead: Lead) -> list[dict]:
    return list(
        lead.events.filter(kind=LeadEvent.Kind.FOLLOWUP_STARTED).values_list("data", flat=True)
    )


@override_settings(ANYMAIL={"WEBHOOK_SECRET": WEBHOOK_SECRET}, LEADFLOW_EMAIL_ESP="postmark")
def test_google_lead_then_adf_email_for_the_same_shopper_is_one_lead_with_both_sources(
    client, dealer_a, rep_a1, rep_a2, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_google(client, "nord", google_lead()).status_code == 200
    lead = Lead.objects.get()
    assert followups(lead) == [{"repeat": False, "trigger": lead.events.get(kind="received").pk}]

    # Same person, written differently: the phone matches once normalised.
    email = postmark_inbound(
        attachments=[("lead.xml", "application/xml", adf_document(phone="+49 (0)171 1234567"))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_postmark(client, email).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        post_postmark(client, email)  # the ESP delivers it twice

    lead = Lead.objects.get()
    assert lead.source == "google-ads"
    assert lead.sources == ["google-ads", "autoscout24"]
    assert lead.assigned_to == rep_a1
    repeat = lead.events.get(kind=LeadEvent.Kind.REPEAT_INQUIRY)
    assert repeat.data["source"] == "autoscout24"
    assert repeat.note == "Ist der Golf noch verfügbar?"
    assert [f["trigger"] for f in followups(lead)] == [
        lead.events.get(kind="received").pk,
        repeat.pk,
    ]
    assert list(IntakeRecord.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "created",
        "joined",
        "duplicate",
    ]


def test_meta_lead_then_adf_post_by_email_address_only_is_one_lead(
    client, dealer_a, rep_a1, meta_graph, django_capture_on_commit_callbacks
):
    meta_graph.add_lead(meta_lead("111", phone="+4915112345679"))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_meta(client, "nord", meta_notification("111")).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = post_adf(client, "nord", adf_document(email="Anna.Schmidt@Example.de"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "joined"
    lead = Lead.objects.get()
    assert (lead.source, lead.sources) == ("meta", ["meta", "autoscout24"])
    assert len(followups(lead)) == 2


@pytest.mark.parametrize("status", ["sold", "lost"])
def test_a_closed_lead_is_not_joined(client, dealer_a, rep_a1, status):
    post_google(client, "nord", google_lead())
    Lead.objects.update(status=status)

    response = post_adf(client, "nord", adf_document())

    assert response.json()["outcome"] == "created"
    assert Lead.objects.count() == 2


def test_same_shopper_at_another_dealer_is_that_dealers_own_lead(
    client, dealer_a, dealer_b, rep_a1, rep_b1
):
    post_google(client, "nord", google_lead())
    post_google(client, "zuid", google_lead(key="google-key-b"))

    assert sorted(Lead.objects.values_list("dealer__slug", flat=True)) == ["nord", "zuid"]
