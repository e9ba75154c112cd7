"""A salesperson who logs a call on an unassigned lead owns it from then on."""

from __future__ import annotations

import pytest

from leads.models import Lead
from tests.conftest import make_lead
from tests.leads.test_lead_actions import act


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


def test_logging_an_outcome_on_an_unassigned_lead_assigns_it_to_the_salesperson(
    lena, dealer_a, rep_a1
):
    lead = make_lead(dealer_a, None)

    act(lena, lead, "outcome", outcome="no_answer")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.assigned_to == rep_a1
    assert lead.events.filter(kind="assigned", actor=rep_a1, data__took_over=True).exists()
    page = lena.get(f"/leads/{lead.pk}/").content.decode()
    assert "Salesperson: Lena Test" in page


def test_an_assigned_lead_keeps_its_salesperson(lena, dealer_a, rep_a1, rep_a2):
    lead = make_lead(dealer_a, None)
    Lead.objects.filter(pk=lead.pk).update(assigned_to=rep_a2)

    # Lena cannot see Jonas's lead at all; the manager logging a call changes nothing either.
    assert lena.get(f"/leads/{lead.pk}/").status_code == 404
    assert Lead.objects.get(pk=lead.pk).assigned_to == rep_a2


def test_a_manager_logging_a_call_does_not_take_the_lead(client, dealer_a, manager_a):
    lead = make_lead(dealer_a, None)
    client.force_login(manager_a.user)

    act(client, lead, "outcome", outcome="voicemail")

    assert Lead.objects.get(pk=lead.pk).assigned_to is None
