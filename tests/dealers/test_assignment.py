from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import time_machine
from django.db import connection

from leads.models import Lead
from tests.conftest import BERLIN, TOKEN_A, sample_lead
from tests.leads.intake.test_webhook_intake import post


def lead_from(n: int) -> dict:
    return sample_lead(
        external_id=f"web-{n}", phone=f"0171 12345{n:02d}", email=f"kunde{n}@example.de"
    )


def assignees(count: int) -> list[str]:
    return [
        lead.assigned_to.user.username if lead.assigned_to else "BDC"
        for lead in Lead.objects.order_by("id").select_related("assigned_to__user")[:count]
    ]


def test_leads_take_turns_round_robin(client, rep_a1, rep_a2):
    for n in range(5):
        post(client, "nord", lead_from(n))

    assert assignees(5) == ["lena", "jonas", "lena", "jonas", "lena"]


def test_off_duty_salesperson_is_skipped(client, rep_a1, rep_a2):
    rep_a1.on_duty = False
    rep_a1.save()
    for n in range(3):
        post(client, "nord", lead_from(n))

    assert assignees(3) == ["jonas", "jonas", "jonas"]


def test_salesperson_outside_working_hours_is_skipped(client, rep_a1, rep_a2):
    rep_a2.working_hours = {"mon": [["13:00", "19:00"]]}
    rep_a2.save()
    post(client, "nord", lead_from(1))
    with time_machine.travel(dt.datetime(2026, 11, 23, 14, 0, tzinfo=BERLIN)):
        post(client, "nord", lead_from(2))
        post(client, "nord", lead_from(3))

    assert assignees(3) == ["lena", "jonas", "lena"]


def test_returning_customer_goes_back_to_their_salesperson(client, rep_a1, rep_a2):
    post(client, "nord", lead_from(1))
    first = Lead.objects.get()
    first.move_to(Lead.Status.LOST, reason="no contact")
    post(client, "nord", lead_from(2))  # jonas's turn
    post(
        client,
        "nord",
        sample_lead(external_id="web-again", phone="0171 1234501", email="kunde1@example.de"),
    )

    assert assignees(3) == ["lena", "jonas", "lena"]


def test_lead_after_the_bdc_hour_goes_to_the_bdc(client, rep_a1):
    with time_machine.travel(dt.datetime(2026, 11, 23, 18, 30, tzinfo=BERLIN)):
        response = post(client, "nord", lead_from(1))

    lead = Lead.objects.get()
    assert response.json()["bdc"] is True
    assert (lead.assigned_to, lead.bdc, lead.bdc_reason) == (None, True, "after_bdc_hour")


def test_lead_on_sunday_goes_to_the_bdc(client, rep_a1):
    with time_machine.travel(dt.datetime(2026, 11, 22, 11, 0, tzinfo=BERLIN)):
        post(client, "nord", lead_from(1))

    assert Lead.objects.get().bdc_reason == "after_hours"


def test_nobody_on_duty_goes_to_the_bdc(client, rep_a1):
    rep_a1.on_duty = False
    rep_a1.save()
    post(client, "nord", lead_from(1))

    assert Lead.objects.get().bdc_reason == "nobody_available"


def test_managers_and_bdc_agents_are_not_in_the_rotation(client, rep_a1, manager_a, bdc_a):
    for n in range(3):
        post(client, "nord", lead_from(n))

    assert assignees(3) == ["lena", "lena", "lena"]


needs_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrency is proven on PostgreSQL (CI)"
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_leads_alternate_fairly(live_server, rep_a1, rep_a2, tasks_stay_queued):
    url = f"{live_server.url}/hooks/nord/leads/"

    def send(n: int) -> int:
        return requests.post(
            url, json=lead_from(n), timeout=30, headers={"Authorization": f"Bearer {TOKEN_A}"}
        ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(send, range(20)))

    assert codes == [201] * 20
    names = assignees(20)
    assert names.count("lena") == names.count("jonas") == 10
    assert all(a != b for a, b in zip(names, names[1:], strict=False))
    assert connection.vendor == "postgresql"
