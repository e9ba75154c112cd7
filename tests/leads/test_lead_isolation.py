"""Isolation matrix: every lead page and action, against leads the user must not touch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leads.models import Lead
from tests.conftest import make_lead

ACTIONS = {
    "call": {},
    "message": {"channel": "whatsapp", "template": "first"},
    "outcome": {"outcome": "reached", "note": "talked"},
    "appointment": {"at": "2026-11-25T15:30", "note": "talked"},
    "move": {"to": "sold"},
    "lost": {"reason": "no budget"},
    "note": {"note": "hello"},
    "opt-out": {},
    "reassign": {"to": "bdc"},
}
REQUESTS = [("GET", "lead", None), *(("POST", "action", name) for name in ACTIONS)]


def request(client, lead: Lead, how: tuple[str, str, str | None]):
    method, kind, action = how
    if kind == "lead":
        return client.get(reverse("lead", args=[lead.pk]))
    return client.post(reverse("lead-action", args=[lead.pk, action]), ACTIONS[action])


def untouched(lead: Lead) -> bool:
    fresh = Lead.objects.get(pk=lead.pk)
    return (
        fresh.status == lead.status
        and fresh.opted_out_at is None
        and fresh.assigned_to_id == lead.assigned_to_id
        and fresh.events.count() == 1
    )


@pytest.mark.parametrize("how", REQUESTS, ids=lambda h: h[2] or h[1])
@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "bdc_a"])
def test_another_dealers_lead_is_404_for_everyone(
    client, request_fixture, how, who, dealer_b, rep_b1
):
    client.force_login(request_fixture(who).user)
    lead = make_lead(dealer_b, rep_b1)

    assert request(client, lead, how).status_code == 404
    assert untouched(lead)


@pytest.mark.parametrize("how", REQUESTS, ids=lambda h: h[2] or h[1])
def test_another_salespersons_lead_is_404_for_a_salesperson(client, rep_a1, rep_a2, dealer_a, how):
    client.force_login(rep_a1.user)
    lead = make_lead(dealer_a, rep_a2)

    assert request(client, lead, how).status_code == 404
    assert untouched(lead)


@pytest.mark.parametrize("how", REQUESTS, ids=lambda h: h[2] or h[1])
def test_user_without_a_dealer_gets_404(client, django_user_model, dealer_a, rep_a1, how):
    user = django_user_model.objects.create_user("outsider", password="x")
    client.force_login(user)
    lead = make_lead(dealer_a, rep_a1)

    assert request(client, lead, how).status_code == 404
    assert untouched(lead)


@pytest.mark.parametrize("how", REQUESTS, ids=lambda h: h[2] or h[1])
def test_signed_out_visitor_is_sent_to_sign_in(client, dealer_a, rep_a1, how):
    lead = make_lead(dealer_a, rep_a1)

    response = request(client, lead, how)

    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert untouched(lead)


@pytest.mark.parametrize("how", REQUESTS, ids=lambda h: h[2] or h[1])
def test_manager_reaches_a_colleagues_lead(client, manager_a, rep_a2, dealer_a, how):
    client.force_login(manager_a.user)
    lead = make_lead(dealer_a, rep_a2)

    assert request(client, lead, how).status_code in (200, 302)


@pytest.mark.parametrize("how", REQUESTS[:-1], ids=lambda h: h[2] or h[1])
def test_salesperson_reaches_an_unassigned_lead(client, rep_a1, dealer_a, how):
    client.force_login(rep_a1.user)
    lead = make_lead(dealer_a, None)

    assert request(client, lead, how).status_code in (200, 302)


def test_queue_never_lists_another_dealers_leads(client, manager_a, dealer_b, rep_b1):
    make_lead(dealer_b, rep_b1, first_name="Sanne-Kunde")
    client.force_login(manager_a.user)

    assert "Sanne-Kunde" not in client.get("/queue/").content.decode()
    assert "Sanne-Kunde" not in client.get(f"/queue/?rep={rep_b1.pk}").content.decode()


def test_queue_of_a_user_without_dealer_is_404(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("outsider", password="x"))

    assert client.get("/queue/").status_code == 404


@pytest.fixture
def request_fixture(request):
    return request.getfixturevalue
