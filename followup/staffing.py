"""The follow-up's clock as the people see it: when a lead's cadence counts from, and the
minimum gap between two calls to one customer.

A lead that arrives at 20:30 is first called when the next window opens; its "again after
15 minutes" and "again after 2 hours" count from that call, not from the arrival, so the
morning does not start with three calls at once. Whatever moves a call later (hours, a
holiday, a manual call in between), no automatic call follows another to the same customer
within the dealer's ``call_gap_minutes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Max
from django.utils import timezone

from dealers.models import Dealer, Salesperson
from followup.cadence import allowed_time, step_due
from followup.models import Attempt, HoursRule
from followup.policy.calendar import closed_reason, next_allowed
from leads.models import Lead

if TYPE_CHECKING:
    from followup.cadence import Step


# A first call further off than this is announced in the first answer.
PROMISE_AFTER = dt.timedelta(minutes=15)
NO_STAFF = "no staff"
INFORMATIONAL = (Attempt.Channel.EMAIL, Attempt.Channel.WHATSAPP)


def call_gap(dealer: Dealer) -> dt.timedelta:
    return dt.timedelta(minutes=dealer.call_gap_minutes or 1)


def contact_moment(*, lead: Lead, rule: str, when: dt.datetime) -> dt.datetime | None:
    """The first moment from ``when`` that the hours ``rule`` and the customer's contact
    policy (quiet hours, holidays, closed days) both allow (None: never)."""
    allowed = allowed_time(dealer=lead.dealer, rule=rule, when=when)
    if allowed is None:
        return None
    return next_allowed(dealer=lead.dealer, phone=lead.phone, when=allowed) or allowed


def _first_call_at(*, lead: Lead, now: dt.datetime) -> dt.datetime | None:
    """When the lead's pending first call will ring (None: no first call is pending)."""
    first = (
        Attempt.objects.pending()
        .filter(lead=lead, key="first_call")
        .values_list("due_at", "reason")
        .first()
    )
    if first is None:
        return None
    start = max(lead.received_at, now)
    if first[1]:
        # Moved by the gate already (outside hours, a holiday): that is when it rings.
        start = max(start, first[0])
    # The first call's own hours rule (services.first_call_create), then somebody to ring.
    when = contact_moment(lead=lead, rule=HoursRule.CONTACT, when=start) or start
    staffed = next_staff_time(dealer=lead.dealer, when=when)
    if staffed is not None and staffed > when:
        when = contact_moment(lead=lead, rule=HoursRule.CONTACT, when=staffed) or staffed
    return when


def cadence_start(*, lead: Lead) -> dt.datetime:
    """When the lead's follow-up counts from: its first real attempt, or, before that, the
    moment its first call will be made (the next allowed minute for an after-hours lead)."""
    if lead.first_attempt_at is not None:
        return lead.first_attempt_at
    now = timezone.now()
    return _first_call_at(lead=lead, now=now) or max(lead.received_at, now)


def first_call_promise(*, lead: Lead) -> dt.datetime | None:
    """When the first answer can tell the customer they will be called: the lead came in
    after hours, so its first call waits for the next window (None: it rings now, or never)."""
    if lead.first_attempt_at is not None or lead.message_only:
        return None
    now = timezone.now()
    when = _first_call_at(lead=lead, now=now)
    return when if when is not None and when - now > PROMISE_AFTER else None


def staff_rule(attempt: Attempt) -> str:
    """The hours rule the staff's side applies to ``attempt`` before the contact policy."""
    if attempt.purpose == "first" and attempt.channel in INFORMATIONAL:
        # The first answer ("we got your request, we call you at 08:00") goes out at once,
        # at any hour the contact policy allows: nobody at the dealer has to be there.
        return HoursRule.ANY
    if attempt.channel in (Attempt.Channel.PHONE, Attempt.Channel.WHATSAPP):
        # Never "any time" for a call or a WhatsApp to a customer (older rows may say so).
        return HoursRule.OPEN if attempt.hours_rule == HoursRule.ANY else attempt.hours_rule
    return attempt.hours_rule


def cadence_spaced(
    *, lead: Lead, planned: Sequence[tuple[Step, Attempt]], start: dt.datetime
) -> list[Attempt]:
    """The cadence's rows with its calls spaced out.

    A call the hours push off its own day (closed evening, Sunday, a holiday) onto a day that
    already has a call is dropped: that day's call is it, so the morning after a holiday does
    not start with every call the holiday held up. Every remaining call is at least the
    dealer's gap after the previous one (the first call included), moved on to the next
    allowed minute if the gap pushes it out of the hours.
    """
    tz = lead.dealer.tz
    gap = call_gap(lead.dealer)
    call_days = {start.astimezone(tz).date()}
    rows: list[Attempt] = []
    previous = start
    for step, row in sorted(planned, key=lambda pair: (pair[1].due_at, pair[0].position)):
        if row.channel != Attempt.Channel.PHONE:
            rows.append(row)
            continue
        day = row.due_at.astimezone(tz).date()
        nominal = step_due(step=step, lead=lead, start=start).astimezone(tz).date()
        if day != nominal and day in call_days:
            continue
        due: dt.datetime | None = row.due_at
        for _ in range(8):
            if due is None or due >= previous + gap:
                break
            due = contact_moment(lead=lead, rule=row.hours_rule, when=previous + gap)
        if due is None:
            continue
        row.due_at = previous = due
        call_days.add(due.astimezone(tz).date())
        rows.append(row)
    return rows


def call_held(*, attempt: Attempt, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """Why an automatic call that the hours allow must still wait, and until when: nobody to
    ring yet (the staff calendar), or the gap after the customer's last call."""
    dealer = attempt.lead.dealer
    # On a holiday or closed day the contact policy holds the call and says why (the two
    # calendars share that list).
    if not closed_reason(dealer, now.astimezone(dealer.tz).date()):
        staffed = next_staff_time(dealer=dealer, when=now)
        if staffed is not None and staffed > now:
            return staffed, NO_STAFF
    if not attempt.is_first_call:
        # A first call answers the customer's own (repeat) inquiry: it rings at once.
        spaced = call_gap_until(attempt=attempt, now=now)
        if spaced is not None:
            return spaced, "call gap"
    return None


def call_gap_until(*, attempt: Attempt, now: dt.datetime) -> dt.datetime | None:
    """The end of the gap after the customer's last call, if ``attempt`` would fall inside it
    (None: it may ring now). Manual calls count too: they rang the same customer."""
    gap = call_gap(attempt.lead.dealer)
    last = (
        Attempt.objects.filter(
            lead_id=attempt.lead_id,
            channel=Attempt.Channel.PHONE,
            claimed_at__gt=now - gap,
            claimed_at__lte=now,
        )
        .exclude(pk=attempt.pk)
        .aggregate(last=Max("claimed_at"))["last"]
    )
    return last + gap if last is not None else None


# -- the staff calendar --------------------------------------------------------------------
#
# Two calendars decide a call. The staff calendar says when somebody at the dealer can be
# rung: a salesperson on shift (their working hours, else the opening hours) while the
# showroom routes to salespeople, the BDC's phone when it routes to the BDC, never on a public
# holiday or closed day (the contact policy's own list, ``policy.calendar.closed_reason``).
# The contact policy (``policy.gate``) says when the customer may be contacted. The first ring
# waits for the staff calendar; the customer's leg and every message wait for the policy.

STAFF_STEP = dt.timedelta(minutes=15)
STAFF_LOOKAHEAD = dt.timedelta(days=8)


def _sellers(dealer: Dealer) -> list[Salesperson]:
    sellers = list(dealer.staff.on_duty_sellers().exclude(phone=""))
    for person in sellers:
        person.dealer = dealer  # is_working() reads the dealer's hours
    return sellers


def staff_on_hand(
    dealer: Dealer, when: dt.datetime, sellers: list[Salesperson] | None = None
) -> bool:
    """Whether the dealer's first ring finds somebody at ``when`` (``ring_next_target``'s
    choice: the BDC after hours, else a salesperson on shift, else the BDC)."""
    if closed_reason(dealer, when.astimezone(dealer.tz).date()):
        return False
    if dealer.routes_to_bdc(when):
        return bool(dealer.bdc_phone)
    sellers = _sellers(dealer) if sellers is None else sellers
    return bool(dealer.bdc_phone) or any(s.is_working(when) for s in sellers)


def next_staff_time(*, dealer: Dealer, when: dt.datetime) -> dt.datetime | None:
    """``when`` if somebody can be rung then, else the start of the next staff window (None:
    nobody within a week: no BDC phone and no salesperson with a phone on shift)."""
    sellers = _sellers(dealer)
    if staff_on_hand(dealer, when, sellers):
        return when
    moment = when.replace(second=0, microsecond=0)
    moment += STAFF_STEP - dt.timedelta(minutes=moment.minute % 15)
    while moment < when + STAFF_LOOKAHEAD:
        if staff_on_hand(dealer, moment, sellers):
            return moment
        moment += STAFF_STEP
    return None
