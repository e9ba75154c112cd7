"""Couriers for the booking page: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from followup.booking.services import booking_notify


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
