"""Thin couriers: take ids, call a service. Ringing runs on its own "ring" queue."""

from __future__ import annotations

from celery import shared_task

from followup import dispatch, sla, stop
from followup.channels import voice
from followup.services import attempt_run, cadence_run, first_messages_ensure
from leads.models import Lead


@shared_task(name="followup.ring.attempt", time_limit=40, soft_time_limit=30)
def ring_attempt(attempt_id: int) -> str:
    return voice.ring_attempt_run(attempt_id=attempt_id)


@shared_task(name="followup.ring.dial", time_limit=40, soft_time_limit=30)
def ring_dial(call_id: int) -> str:
    return voice.call_dial(call_id=call_id)


@shared_task(name="followup.ring.reconcile", time_limit=40, soft_time_limit=30)
def ring_reconcile(call_id: int) -> str:
    return voice.call_reconcile(call_id=call_id)


@shared_task(name="followup.ring.hang_up", time_limit=40, soft_time_limit=30)
def ring_hang_up(call_id: int) -> bool:
    return stop.leg_hang_up(call_id=call_id)


@shared_task(name="followup.messages.first", time_limit=60, soft_time_limit=50)
def first_messages(lead_id: int) -> None:
    lead = Lead.objects.filter(pk=lead_id).select_related("dealer").first()
    if lead is None:
        return
    for attempt in first_messages_ensure(lead=lead):
        attempt_run(attempt_id=attempt.pk)


@shared_task(name="followup.schedule", time_limit=30, soft_time_limit=25)
def schedule_cadence(lead_id: int) -> int:
    return cadence_run(lead_id=lead_id)


@shared_task(name="followup.attempt.run", time_limit=60, soft_time_limit=50)
def run_attempt(attempt_id: int) -> str:
    return attempt_run(attempt_id=attempt_id)


@shared_task(name="followup.dispatch", time_limit=30, soft_time_limit=25, ignore_result=True)
def dispatch_due() -> int:
    return dispatch.dispatch_due()


@shared_task(name="followup.alarm.notify", time_limit=60, soft_time_limit=45)
def ring_alarm_notify(alarm_id: int) -> bool:
    return sla.ring_alarm_notify(alarm_id=alarm_id)


@shared_task(name="followup.recovery_sweep", time_limit=120, soft_time_limit=100)
def recovery_sweep() -> int:
    return dispatch.recovery_sweep()
