"""A week of the default cadence for leads that arrive after hours, walked through the
dispatcher: the first call at the start of the next window, the rest counted from the first
real attempt, and never two calls to one customer within the dealer's minimum gap."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from followup.dispatch import dispatch_due
from followup.models import Attempt, Call
from tests.conftest import BERLIN


def walk(lead, days: int = 10) -> list[dt.datetime]:
    """Run the dispatcher at every due moment for ``days``; when each call began (its first
    leg: a salesperson who does not answer passes it on within the same call)."""
    end = lead.received_at + dt.timedelta(days=days)
    for _ in range(200):
        nxt = (
            Attempt.objects.filter(lead=lead, status="scheduled", due_at__lte=end)
            .order_by("due_at")
            .first()
        )
        if nxt is None:
            break
        with time_machine.travel(nxt.due_at + dt.timedelta(seconds=5), tick=False):
            dispatch_due()
    return [
        c.created_at.astimezone(BERLIN)
        for c in Call.objects.filter(lead=lead, leg="agent", parent=None, seq=1).order_by(
            "created_at"
        )
    ]


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def minutes(calls: list[dt.datetime]) -> list[str]:
    return [c.strftime("%a %d %H:%M") for c in calls]


@pytest.mark.parametrize(
    ("arrival", "expected"),
    [
        # Friday 20:00: the first call when Saturday's contact window opens; "again after
        # 15 minutes" and "after 2 hours" count from it (09:00 when the showroom opens, 10:00).
        (
            at(20, 20),
            [
                "Sat 21 08:00",
                "Sat 21 09:00",
                "Sat 21 10:00",
                "Mon 23 08:00",
                "Mon 23 09:00",
                "Wed 25 09:00",
                "Sat 28 09:00",
            ],
        ),
        # Saturday 15:00: the BDC at once; the same-day calls Sunday holds up become one
        # Monday morning call, not three at 08:00.
        (
            at(21, 15),
            ["Sat 21 15:00", "Mon 23 08:00", "Mon 23 09:00", "Wed 25 09:00", "Sat 28 09:00"],
        ),
        # Christmas Eve 19:30, before two public holidays and a Sunday: one call on Monday
        # morning for everything the holidays held up.
        (
            at(24, 19, 30, month=12),
            ["Thu 24 19:30", "Mon 28 08:00", "Mon 28 09:00", "Thu 31 09:00"],
        ),
    ],
    ids=["friday-20h", "saturday-15h", "christmas-eve"],
)
def test_an_after_hours_lead_is_called_from_its_first_real_attempt_without_pile_ups(
    post_lead, rep_a1, arrival, expected
):
    with time_machine.travel(arrival, tick=False):
        lead = post_lead()

    calls = walk(lead)

    assert minutes(calls) == expected
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert min(gaps) >= dt.timedelta(minutes=10)
    lead.refresh_from_db()
    assert lead.status == "lost"  # the cadence ran to its end


def test_a_weekday_evening_lead_is_not_rung_three_times_at_eight(post_lead, rep_a1):
    with time_machine.travel(at(23, 20, 30), tick=False):
        lead = post_lead()

    calls = walk(lead, days=1)

    assert minutes(calls) == ["Tue 24 08:00", "Tue 24 08:15", "Tue 24 10:00"]


def test_no_automatic_call_follows_another_within_the_dealers_gap(post_lead, dealer_a, rep_a1):
    dealer_a.call_gap_minutes = 20
    dealer_a.save(update_fields=["call_gap_minutes"])
    with time_machine.travel(at(23, 10), tick=False):
        lead = post_lead()  # rung at once
    # People moved the next call close to the first one.
    Attempt.objects.filter(lead=lead, key="step:1").update(due_at=at(23, 10, 3))

    with time_machine.travel(at(23, 10, 3), tick=False):
        dispatch_due()

    step = Attempt.objects.get(lead=lead, key="step:1")
    assert (step.status, step.reason) == ("scheduled", "call gap")
    assert step.due_at == at(23, 10, 20)
    assert Call.objects.filter(lead=lead, leg="agent", parent=None, seq=1).count() == 1
    assert minutes(walk(lead, days=1))[:2] == ["Mon 23 10:00", "Mon 23 10:20"]
