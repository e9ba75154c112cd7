"""The cadence: which touches follow the first call, and when they may happen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dealers import hours
from dealers.models import Dealer
from followup.models import CadenceStep, HoursRule
from leads.models import Lead

NINE = dt.time(9, 0)


@dataclass(frozen=True)
class Step:
    position: int
    day: int
    offset_minutes: int
    at_time: dt.time | None
    channel: str
    template: str
    hours_rule: str


def _s(position, day, minutes, at, channel, template="followup", rule=HoursRule.OPEN) -> Step:
    return Step(position, day, minutes, at, channel, template, rule)


# The dealer practice (DESIGN §1): ring now (the chain's first call); again after 15 min and
# after 2 h; next morning call + WhatsApp; day 2 call; day 4 call + email; day 7 call + "shall
# we close your request?"; day 8 lost ("no contact"), then the BDC's recovery call.
DEFAULT_CADENCE: tuple[Step, ...] = (
    _s(1, 0, 15, None, "phone"),
    _s(2, 0, 120, None, "phone"),
    _s(3, 1, 0, NINE, "phone"),
    _s(4, 1, 0, NINE, "whatsapp", rule=HoursRule.CONTACT),
    _s(5, 2, 0, NINE, "phone"),
    _s(6, 4, 0, NINE, "phone"),
    _s(7, 4, 0, NINE, "email", rule=HoursRule.CONTACT),
    _s(8, 7, 0, NINE, "phone"),
    _s(9, 7, 0, NINE, "whatsapp", "close", HoursRule.CONTACT),
    _s(10, 7, 0, NINE, "email", "close", HoursRule.CONTACT),
    _s(11, 8, 0, NINE, "lost", "no contact", HoursRule.ANY),
)


def dealer_cadence(dealer: Dealer) -> list[Step]:
    rows = list(CadenceStep.objects.filter(dealer=dealer).order_by("position"))
    if not rows:
        return list(DEFAULT_CADENCE)
    return [
        Step(r.position, r.day, r.offset_minutes, r.at_time, r.channel, r.template, r.hours_rule)
        for r in rows
    ]


def step_due(*, step: Step, lead: Lead, start: dt.datetime | None = None) -> dt.datetime:
    """The step's nominal time: minutes after ``start`` (the first real attempt, else the
    arrival) on day 0, a local wall-clock time later.

    Wall-clock maths in the dealer's zone keeps "day 4, 09:00" at 09:00 across a DST change.
    """
    start = start or lead.received_at
    if step.day == 0 or step.at_time is None:
        return start + dt.timedelta(days=step.day, minutes=step.offset_minutes)
    tz = lead.dealer.tz
    day = start.astimezone(tz).date() + dt.timedelta(days=step.day)
    return dt.datetime.combine(day, step.at_time, tzinfo=tz).astimezone(dt.UTC)


def allowed_time(*, dealer: Dealer, rule: str, when: dt.datetime) -> dt.datetime | None:
    """``when`` if contact is allowed then, else the next allowed minute (None: never)."""
    if rule == HoursRule.ANY:
        return when
    current: dt.datetime | None = when
    for _ in range(16):
        if current is None:
            return None
        contact = dealer.next_contact_time(current)
        if contact is None or rule == HoursRule.CONTACT:
            return contact
        opened = hours.next_within(dealer.opening_hours, contact, dealer.tz)
        if opened == contact:
            return contact
        current = opened
    return None
