"""The funnel's speed per salesperson credits whoever answered the ring, not only the owner."""

from __future__ import annotations

import pytest
import time_machine

from leads.models import Lead
from leads.reports.weeks import Week
from tests.conftest import BERLIN, MONDAY_10AM
from tests.followup.conftest import agent_leg, twilio_post

pytestmark = pytest.mark.urls("tests.leads.reports.funnel_urls")


def speed_rows(client, manager) -> dict[str, int]:
    """Leads per row of the salesperson speed table, by row label."""
    client.force_login(manager.user)
    week = Week.containing(MONDAY_10AM, BERLIN).label
    data = client.get(f"/reports/funnel/?week={week}&format=json").json()
    return {
        row["label"]: row["leads"]
        for row in data["speed"]
        if row["measure"] == "salesperson" and row["key"].startswith("rep-")
    }


def test_a_colleague_who_answers_the_escalated_ring_gets_the_speed_credit(
    client, post_lead, manager_a, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_10AM, tick=True):
        lead = post_lead()
        assert lead.assigned_to == rep_a1
        with django_capture_on_commit_callbacks(execute=True):
            twilio_post(
                client, fake_twilio, "voice-status", agent_leg(lead), CallStatus="no-answer"
            )
        colleague = agent_leg(lead, 1)
        assert colleague.salesperson == rep_a2
        twilio_post(client, fake_twilio, "voice-status", colleague, CallStatus="in-progress")
        twilio_post(client, fake_twilio, "voice-answer", colleague, AnsweredBy="human")
        # A later answer (a re-offer's ring, another leg) does not move the credit.
        Lead.objects.get(pk=lead.pk).mark_first_answered(by_id=rep_a1.pk)

        rows = speed_rows(client, manager_a)

    lead.refresh_from_db()
    assert (lead.assigned_to, lead.first_answered_by) == (rep_a1, rep_a2)
    assert rows == {rep_a2.display_name: 1}


def test_a_voicemail_is_no_answer_and_the_owner_keeps_a_lead_nobody_answered(
    client, post_lead, manager_a, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_10AM, tick=True):
        lead = post_lead()
        with django_capture_on_commit_callbacks(execute=True):
            twilio_post(
                client, fake_twilio, "voice-status", agent_leg(lead), CallStatus="no-answer"
            )
        with django_capture_on_commit_callbacks(execute=True):
            twilio_post(
                client, fake_twilio, "voice-answer", agent_leg(lead, 1), AnsweredBy="machine_start"
            )
            twilio_post(
                client, fake_twilio, "voice-status", agent_leg(lead, 1), CallStatus="completed"
            )

        rows = speed_rows(client, manager_a)

    lead.refresh_from_db()
    assert lead.first_answered_by is None
    assert rows == {rep_a1.display_name: 1}
