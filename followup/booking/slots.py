"""Which times the customer may pick: the salesperson's (or the dealer's) free slots within
opening hours, and call-back times within opening and customer contact hours.

Slots lie on a grid from the start of each opening window (09:00, 10:00, ... for 60-minute
slots), computed in the dealer's time zone on wall-clock times, so they stay put across DST.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from dealers import hours
from dealers.models import Salesperson
from followup.booking.models import Booking
from leads.models import Lead

MIN_NOTICE = dt.timedelta(hours=2)
CALLBACK_STEP = dt.timedelta(minutes=30)
CALLBACK_NOTICE = dt.timedelta(minutes=30)
CALLBACK_DAYS = 5
# However long a dealer is "open" (a BDC around the clock, the demo), nobody visits a
# showroom or takes a sales call at 3 a.m.
DAYTIME: hours.WeeklyHours = {day: [["07:00", "21:00"]] for day in hours.WEEKDAYS}


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def key(self) -> str:
        """How the page names the slot in its form (UTC, to the minute)."""
        return self.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")


def slot_length() -> dt.timedelta:
    return dt.timedelta(minutes=settings.LEADFLOW_BOOKING_SLOT_MINUTES)


def parse_key(key: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(key, "%Y%m%dT%H%MZ").replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


def calendar_owner(lead: Lead) -> Salesperson | None:
    """Whose free times the page offers: the assigned salesperson's, else (BDC leads, a
    manager's or a departed salesperson's) the dealer's."""
    person = lead.assigned_to
    if person is None or person.role != Salesperson.Role.SALESPERSON or not person.user.is_active:
        return None
    return person


def _grid(
    schedules: list[hours.WeeklyHours], tz, first_day: dt.date, days: int, step: dt.timedelta
) -> list[dt.datetime]:
    """Starts of ``step``-long slots inside every one of ``schedules`` (the first lays the grid)."""
    starts = []
    for offset in range(days + 1):
        day = first_day + dt.timedelta(days=offset)
        for start, end in hours.day_spans(schedules[0], day):
            at = dt.datetime.combine(day, start, tzinfo=tz)
            close = dt.datetime.combine(day, end, tzinfo=tz)
            while at + step <= close:
                last_minute = at + step - dt.timedelta(minutes=1)
                if all(
                    hours.is_within(s, at, tz) and hours.is_within(s, last_minute, tz)
                    for s in schedules
                ):
                    starts.append(at.astimezone(dt.UTC))
                at += step
    return starts


def _busy(lead: Lead, person: Salesperson | None, first: dt.datetime, last: dt.datetime):
    """(start, end) of the times already taken in this calendar between first and last."""
    length = slot_length()
    bookings = Booking.objects.holding_time().filter(
        dealer_id=lead.dealer_id, starts_at__lt=last, ends_at__gt=first
    )
    appointments = Lead.objects.filter(
        dealer_id=lead.dealer_id,
        status=Lead.Status.APPOINTMENT,
        appointment_at__gt=first - length,
        appointment_at__lt=last,
    )
    if person is not None:
        bookings = bookings.filter(salesperson=person)
        appointments = appointments.filter(assigned_to=person)
    else:
        bookings = bookings.filter(salesperson__isnull=True)
        appointments = appointments.filter(Q(assigned_to__isnull=True) | Q(bdc=True))
    busy = list(bookings.values_list("starts_at", "ends_at"))
    # Appointments salespeople booked by hand take one slot's length.
    busy += [(at, at + length) for at in appointments.values_list("appointment_at", flat=True)]
    return busy


def free_slots(*, lead: Lead, now: dt.datetime | None = None) -> list[Slot]:
    """Visit and test-drive slots the customer may pick, soonest first."""
    now = now or timezone.now()
    dealer = lead.dealer
    person = calendar_owner(lead)
    schedules = [dealer.opening_hours, DAYTIME]
    if person is not None and person.working_hours:
        schedules.append(person.working_hours)
    length = slot_length()
    first_day = now.astimezone(dealer.tz).date()
    # The dealer's appointment window (the salesperson's form asks the same) bounds the offer.
    _opens, closes = dealer.appointment_window(now)
    days = min(settings.LEADFLOW_BOOKING_DAYS_AHEAD, dealer.appointment_days_ahead)
    starts = [
        s
        for s in _grid(schedules, dealer.tz, first_day, days, length)
        if now + MIN_NOTICE <= s <= closes
    ]
    if not starts:
        return []
    busy = _busy(lead, person, starts[0], starts[-1] + length)
    return [
        Slot(start, start + length)
        for start in starts
        if not any(b_start < start + length and start < b_end for b_start, b_end in busy)
    ]


def slot_if_free(*, lead: Lead, starts_at: dt.datetime) -> Slot | None:
    return next((s for s in free_slots(lead=lead) if s.starts_at == starts_at), None)


def callback_times(*, lead: Lead, now: dt.datetime | None = None) -> list[dt.datetime]:
    """When the salesperson may call back: opening hours and the customer contact window."""
    now = now or timezone.now()
    dealer = lead.dealer
    first_day = now.astimezone(dealer.tz).date()
    starts = _grid(
        [dealer.opening_hours, dealer.contact_hours, DAYTIME],
        dealer.tz,
        first_day,
        CALLBACK_DAYS,
        CALLBACK_STEP,
    )
    return [s for s in starts if s >= now + CALLBACK_NOTICE]
