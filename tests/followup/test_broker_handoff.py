from __future__ import annotations

import pytest
import requests

from leads.models import Lead, LeadEvent
from tests.conftest import TOKEN_A, sample_lead


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_posted_lead_gets_followup_started_through_the_real_broker(
    live_server, rep_a1, celery_worker, tasks_done
):
    response = requests.post(
        f"{live_server.url}/hooks/nord/leads/",
        json=sample_lead(),
        headers={"Authorization": f"Bearer {TOKEN_A}"},
        timeout=30,
    )
    assert response.status_code == 201

    assert tasks_done.wait_for("followup.schedule"), "the worker never ran the chain"
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.events.filter(kind=LeadEvent.Kind.FOLLOWUP_STARTED).count() == 1
