"""The alarm when the two-minute promise breaks: managers emailed once, ERROR logged, /healthz."""

from __future__ import annotations

import datetime as dt
import logging

import time_machine
from django.core import mail
from django.utils import timezone

from dealers.models import Salesperson
from followup import sla
from followup.dispatch import dispatch_due
from followup.models import Attempt, Call, RingAlarm
from leads.models import Lead
from tests.conftest import MONDAY_10AM

OTHER = {"first_name": "Ben", "phone": "0171 7654321", "email": "ben@example.de"}


def to_managers() -> list:
    return [m for m in mail.outbox if "petra@example.com" in m.to]


def test_a_lead_not_rung_two_minutes_after_receipt_alerts_its_managers_once(
    post_lead, rep_a1, manager_a, caplog, client
):
    lead = post_lead(execute=False)  # the enqueue is lost: no worker ever heard of the lead

    with time_machine.travel(lead.received_at + dt.timedelta(seconds=119), tick=False):
        assert sla.late_lead_count() == 0
    with time_machine.travel(lead.received_at + dt.timedelta(seconds=125), tick=False):
        with caplog.at_level(logging.ERROR, logger="followup.sla"):
            dispatch_due()  # the first ring starts only now: too late
            dispatch_due()
        assert client.get("/healthz").json()["ring_sla"] == 1

    assert lead.calls.count() == 1
    [alarm] = to_managers()
    assert alarm.to == ["petra@example.com"]
    assert "Anna Schmidt" in alarm.subject
    assert f"/leads/{lead.pk}/" in alarm.body
    assert [r.levelname for r in caplog.records if "ring SLA" in r.getMessage()] == ["ERROR"]
    assert "Anna" not in caplog.text  # logs carry no personal data
    assert RingAlarm.objects.get(lead=lead).reason == "late"


def test_healthz_counts_the_late_leads_of_the_last_hour_and_stays_200(
    post_lead, rep_a1, manager_a, client
):
    late = post_lead(execute=False, external_id="late-1")
    rung = post_lead(external_id="rung-1", **OTHER)
    assert Call.objects.filter(lead=rung, sid__isnull=False).exists()

    with time_machine.travel(rung.received_at + dt.timedelta(seconds=130), tick=False):
        assert list(sla.late_leads()) == [late]
        body = client.get("/healthz")
        assert body.status_code == 200
        assert body.json()["ring_sla"] == 1
    with time_machine.travel(MONDAY_10AM + dt.timedelta(hours=2), tick=False):
        assert client.get("/healthz").json()["ring_sla"] == 0


def test_nobody_to_ring_alerts_the_managers_at_once(post_lead, dealer_a, manager_a, caplog):
    dealer_a.bdc_phone = ""
    dealer_a.save(update_fields=["bdc_phone"])
    Salesperson.objects.filter(dealer=dealer_a, role=Salesperson.Role.SALESPERSON).delete()

    with caplog.at_level(logging.ERROR, logger="followup.sla"):
        lead = post_lead()

    [alarm] = to_managers()
    assert "Nobody to ring" in alarm.subject or "Niemand" in alarm.subject
    assert alarm.to == ["petra@example.com"]
    assert RingAlarm.objects.get(lead=lead).reason == "nobody to ring"
    assert sla.late_lead_count() == 1
    dispatch_due()
    assert len(to_managers()) == 1


def test_a_lead_outside_the_contact_window_or_rung_in_time_is_not_late(
    post_lead, rep_a1, manager_a
):
    rung = post_lead(external_id="in-time")
    waiting = post_lead(external_id="night", execute=False, **OTHER)
    Attempt.objects.filter(lead=waiting, key="first_call").update(
        reason="outside hours", due_at=timezone.now() + dt.timedelta(hours=10)
    )
    test_lead = post_lead(
        external_id="test", execute=False, phone="0171 5550001", email="t@example.de"
    )
    Lead.objects.filter(pk=test_lead.pk).update(is_test=True)

    with time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=5), tick=False):
        assert sla.late_lead_count() == 0
        dispatch_due()
    assert rung.calls.exists()
    assert to_managers() == []
