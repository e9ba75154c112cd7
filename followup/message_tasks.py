"""Couriers for the outbox: they take ids and call services in followup.messaging."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from dealers.models import Dealer
from followup import queue
from followup.booking.services import bookings_unnotified
from followup.channels.content_sync import whatsapp_templates_sync
from followup.inbound import reply_notify
from followup.messaging import message_deliver, messages_due


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
