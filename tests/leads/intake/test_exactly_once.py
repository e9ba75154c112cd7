from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from leads.models import IntakeRecord, Lead
from tests.conftest import TOKEN_A, sample_lead


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrency is proven on PostgreSQL (CI)"
)
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_posts_at_once_make_one_lead(live_server, rep_a1, tasks_stay_queued):
    url = f"{live_server.url}/hooks/nord/leads/"
    barrier_payload = sample_lead()

    def send(_: int) -> tuple[int, int]:
        response = requests.post(
            url, json=barrier_payload, timeout=30, headers={"Authorization": f"Bearer {TOKEN_A}"}
        )
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))

    assert Lead.objects.count() == 1
    lead_id = Lead.objects.get().pk
    assert sorted(code for code, _ in results) == [200] * 19 + [201]
    assert {lead for _, lead in results} == {lead_id}
    assert IntakeRecord.objects.filter(outcome="duplicate").count() == 19
    assert connection.vendor == "postgresql"
