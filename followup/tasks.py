"""Thin couriers: take ids, call a service. Ringing runs on its own "ring" queue.

The names are what queued messages carry (and what ``followup.queue`` sends by): never
rename one."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from dealers.models import Dealer
from followup import dispatch, queue, sla
from followup.booking.services import booking_notify, bookings_unnotified
from followup.channels.content_sync import whatsapp_templates_sync
from followup.outbox import message_deliver, messages_due
from followup.push import lead_push
from followup.replies import reply_notify
from followup.services import attempt_run, cadence_run, first_messages_ensure
from followup.voice import ring
from leads.models import Lead


@shared_task(name="followup.ring.attempt", time_limit=40, soft_time_limit=30)
def ring_attempt(attempt_id: int) -> str:
    return ring.ring_attempt_run(attempt_id=attempt_id)


@shared_task(name="followup.ring.dial", time_limit=40, soft_time_limit=30)
def ring_dial(call_id: int) -> str:
    return ring.call_dial(call_id=call_id)


@shared_task(name="followup.ring.reconcile", time_limit=40, soft_time_limit=30)
def ring_reconcile(call_id: int) -> str:
    return ring.call_reconcile(call_id=call_id)


@shared_task(name="followup.ring.hang_up", time_limit=40, soft_time_limit=30)
def ring_hang_up(call_id: int) -> bool:
    return ring.leg_hang_up(call_id=call_id)


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


# -- email and WhatsApp: the outbox, replies, templates --------------------------------


@shared_task(name="followup.messages.send", time_limit=60, soft_time_limit=45)
def send_message(message_id: int) -> str | None:
    return message_deliver(message_id=message_id)


@shared_task(name="followup.messages.send_due", time_limit=30, soft_time_limit=25)
def send_due() -> int:
    """Every 30 s (beat): scheduled reminders, retries after transient errors, lost enqueues.

    Handing an id out twice is harmless: the send task claims its row first.
    """
    ids = messages_due()
    for message_id in ids:
        queue.enqueue(queue.MESSAGE_SEND, message_id)
    # Salesperson notices of customer bookings whose enqueue was lost.
    for booking_id in bookings_unnotified():
        queue.enqueue(queue.BOOKING_NOTIFY, booking_id)
    return len(ids)


@shared_task(
    name="followup.messages.notify_reply",
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def notify_reply(inbound_id: int) -> bool:
    return reply_notify(inbound_id=inbound_id)


@shared_task(name="followup.whatsapp.sync_templates", time_limit=300, soft_time_limit=280)
def sync_whatsapp_templates(dealer_id: int | None = None) -> int:
    """Create, submit and check WhatsApp templates at Twilio: for one dealer (after an
    edit), or every 15 minutes (beat) for all dealers with a WhatsApp sender."""
    if settings.LEADFLOW_PROVIDERS != "twilio":
        return 0
    dealers = Dealer.objects.exclude(whatsapp_sender="")
    if dealer_id is not None:
        dealers = dealers.filter(pk=dealer_id)
    done = 0
    for dealer in dealers:
        whatsapp_templates_sync(dealer=dealer)
        done += 1
    return done


# -- the booking page ----------------------------------------------------------------


@shared_task(
    name="followup.booking.notify",
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def notify_booking(booking_id: int) -> bool:
    return booking_notify(booking_id=booking_id)


@shared_task(name="followup.push.notify", time_limit=40, soft_time_limit=30)
def push_notify(lead_id: int, kind: str) -> int:
    return lead_push(lead_id=lead_id, kind=kind)
