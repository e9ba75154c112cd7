"""Nobody to ring is an alarm, not a silent failure: the managers hear of it at once and the
lead shows in every salesperson's queue as unowned; the first ring waits for the staff."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail

from followup.dispatch import dispatch_due
from followup.models import Attempt, Call, RingAlarm
from leads.models import Lead
from tests.conftest import BERLIN

FRIDAY_EVENING = dt.datetime(2026, 11, 20, 20, 30, tzinfo=BERLIN)
SATURDAY_8 = dt.datetime(2026, 11, 21, 8, 0, tzinfo=BERLIN)
SATURDAY_9 = dt.datetime(2026, 11, 21, 9, 0, tzinfo=BERLIN)


def to_managers() -> list:
    return [m for m in mail.outbox if "petra@example.com" in m.to]


def queue_of(client, person) -> str:
    client.force_login(person.user)
    return client.get("/queue/").content.decode()


def test_an_after_hours_lead_without_a_bdc_phone_alarms_at_once_and_is_everybodys(
    post_lead, client, dealer_a, rep_a1, rep_a2, manager_a, django_capture_on_commit_callbacks
):
    dealer_a.bdc_phone = ""
    dealer_a.save(update_fields=["bdc_phone"])

    with (
        time_machine.travel(FRIDAY_EVENING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        lead = post_lead()

    [alarm] = to_managers()
    assert "Anna Schmidt" in alarm.subject
    assert RingAlarm.objects.get(lead=lead).reason == "nobody to ring"
    lead.refresh_from_db()
    assert (lead.bdc, lead.assigned_to) == (False, None)
    for person in (rep_a1, rep_a2, manager_a):
        with time_machine.travel(FRIDAY_EVENING + dt.timedelta(minutes=1), tick=False):
            assert "Schmidt" in queue_of(client, person), person

    # Saturday: customers may be called from 08:00, but nobody is at work before the showroom
    # opens at 09:00 (no BDC phone): the first call waits for the staff, then rings a seller.
    first = Attempt.objects.get(lead=lead, key="first_call")
    assert first.due_at == SATURDAY_8
    with time_machine.travel(SATURDAY_8 + dt.timedelta(seconds=5), tick=False):
        dispatch_due()
    first.refresh_from_db()
    assert (first.status, first.reason, first.due_at) == ("scheduled", "no staff", SATURDAY_9)
    assert not Call.objects.filter(lead=lead).exists()

    with time_machine.travel(SATURDAY_9 + dt.timedelta(seconds=5), tick=False):
        dispatch_due()
    leg = Call.objects.get(lead=lead, attempt=first, seq=1)
    assert leg.salesperson in (rep_a1, rep_a2)
    assert len(to_managers()) == 1  # one alarm per lead


def test_an_empty_roster_and_no_bdc_is_an_alarm_and_the_lead_stays_visible(
    post_lead, client, dealer_a, manager_a, rep_a1
):
    dealer_a.bdc_phone = ""
    dealer_a.save(update_fields=["bdc_phone"])
    rep_a1.on_duty = False
    rep_a1.save(update_fields=["on_duty"])

    lead = post_lead()  # Monday 10:00: the showroom is open but nobody is on duty

    assert RingAlarm.objects.get(lead=lead).reason == "nobody to ring"
    assert Attempt.objects.get(lead=lead, key="first_call").outcome == "nobody to ring"
    assert "Schmidt" in queue_of(client, manager_a)
    assert Lead.objects.get(pk=lead.pk).assigned_to is None
