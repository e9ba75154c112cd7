"""Keep nothing longer than needed: each data class expires after its own period, in batches."""

from __future__ import annotations

import datetime as dt

import time_machine
from auditlog.models import LogEntry
from django.test import override_settings
from django.utils import timezone

from followup.models import InboundMessage
from leads.models import AccessLog, IntakeRecord, Lead
from privacy.retention import retention_run
from privacy.tasks import retention
from tests.privacy.support import MESSAGE, REPLY, post_lead


def days_later(days: int):
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False)


def test_raw_intake_bodies_go_after_90_days_and_the_outcome_stays(client, dealer_a, rep_a1):
    post_lead(client)
    with days_later(89):
        retention_run()
        assert IntakeRecord.objects.get().body != b""
    with days_later(91):
        run = retention_run()

    record = IntakeRecord.objects.get()
    assert (bytes(record.body), record.headers, record.outcome) == (b"", {}, "created")
    assert run.rows["intake_bodies"] == 1


def test_a_closed_leads_phone_and_texts_go_after_24_months_name_and_consent_stay(
    client, dealer_a, rep_a1
):
    post_lead(client)
    lead = Lead.objects.get()
    InboundMessage.objects.create(
        dealer=dealer_a, lead=lead, channel="whatsapp", sender=lead.phone, text=REPLY
    )
    lead.move_to(Lead.Status.LOST, reason="no contact")
    open_lead = Lead.objects.create(
        dealer=dealer_a, phone="+491719999999", message=MESSAGE, source="web"
    )

    with days_later(729):
        retention_run()
        assert Lead.objects.get(pk=lead.pk).phone != ""
    with days_later(731):
        retention_run()

    lead.refresh_from_db()
    assert (lead.phone, lead.message, lead.first_name) == ("", "", "Anna")
    assert lead.raw_payload == {"consent": {"phone": True, "email": True, "whatsapp": True}}
    assert InboundMessage.objects.get().text == ""
    open_lead.refresh_from_db()
    assert (open_lead.phone, open_lead.message) == ("+491719999999", MESSAGE)


def test_after_five_years_nothing_personal_is_left_and_the_funnel_milestones_are(
    client, dealer_a, rep_a1
):
    post_lead(client)
    lead = Lead.objects.get()
    lead.move_to(Lead.Status.REACHED)

    with days_later(5 * 365 + 2):
        retention_run()

    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.email, lead.raw_payload) == ("", "", "", {})
    assert lead.erased_at is not None and lead.reached_at is not None


def test_the_audit_log_goes_after_a_year(client, dealer_a, rep_a1, manager_a):
    post_lead(client)
    AccessLog.record(
        dealer_id=dealer_a.pk, user=manager_a.user, action="view", lead_id=Lead.objects.get().pk
    )
    LogEntry.objects.log_create(
        manager_a.user, action=LogEntry.Action.UPDATE, changes={"x": ["a", "b"]}
    )

    with days_later(366):
        retention_run()

    assert (AccessLog.objects.count(), LogEntry.objects.count()) == (0, 0)


@override_settings(LEADFLOW_RETAIN_INTAKE_BODY_DAYS=1, LEADFLOW_RETENTION_BATCH=2)
def test_periods_come_from_settings_and_work_goes_in_small_batches(client, dealer_a, rep_a1):
    for n in range(5):
        post_lead(client, external_id=f"web-{n}", phone=f"0171 123456{n}", email="")

    with days_later(2):
        run = retention_run()

    assert run.rows["intake_bodies"] == 5
    assert run.batches >= 3
    assert not IntakeRecord.objects.exclude(body=b"").exists()


def test_the_daily_task_hands_on_what_is_left(client, dealer_a, rep_a1, monkeypatch):
    for n in range(3):
        post_lead(client, external_id=f"web-{n}", phone=f"0171 123456{n}", email="")
    monkeypatch.setattr("privacy.tasks.RUN_BUDGET_SECONDS", 0)

    with days_later(91), override_settings(LEADFLOW_RETENTION_BATCH=1):
        retention.delay()

    assert not IntakeRecord.objects.exclude(body=b"").exists()
