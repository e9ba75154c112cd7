"""A week built to the 60% rule's numbers: 100 leads, 80 reached, 48 appointments, 38 showed,
22 sold, with the salesperson's first ring at known delays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dealers.models import Dealer, Salesperson
from leads.models import Lead

BERLIN = ZoneInfo("Europe/Berlin")
# ISO week 2026-W47: Monday 16 to Sunday 22 November 2026, the last complete week on the
# tests' Monday-morning clock.
W47_MONDAY = dt.datetime(2026, 11, 16, 0, 0, tzinfo=BERLIN)
SOURCES = ["mobile.de", "mobile.de", "autoscout24", "website"]


def ring_delay(i: int) -> int:
    """50 leads rang in 30 s, 20 in 90 s, 15 in 4 min, 10 in 8 min, 5 in 20 min."""
    if i < 50:
        return 30
    if i < 70:
        return 90
    if i < 85:
        return 240
    if i < 95:
        return 480
    return 1200


def reached_after(i: int) -> int:
    return 1 if i < 40 else 2 if i < 60 else 3 if i < 70 else 5


def sixty_percent_week(dealer: Dealer, reps: list[Salesperson]) -> list[Lead]:
    leads = []
    for i in range(100):
        received = W47_MONDAY + dt.timedelta(hours=6, minutes=90 * i)
        delay = dt.timedelta(seconds=ring_delay(i))
        reached = i < 80
        lead = Lead(
            dealer=dealer,
            source=SOURCES[i % 4],
            sources=[SOURCES[i % 4], *(["website"] if i % 5 == 0 else [])],
            received_at=received,
            first_name=f"Kunde{i}",
            phone=f"+49170{i:07d}",
            assigned_to=reps[i % len(reps)],
            first_channel=Lead.Channel.WHATSAPP if i % 10 == 0 else Lead.Channel.PHONE,
            first_attempt_at=received + delay,
            first_ring_at=received + delay,
            customer_rang_at=received + delay + dt.timedelta(seconds=20) if reached else None,
            attempt_count=reached_after(i) if reached else 8,
        )
        if reached:
            lead.reached_at = received + delay + dt.timedelta(minutes=1)
            lead.reached_after_attempts = reached_after(i)
            lead.status = Lead.Status.REACHED
        if i < 48:
            lead.appointment_set_at = received + dt.timedelta(hours=1)
            lead.status = Lead.Status.APPOINTMENT
        if i < 38:
            lead.showed_at = received + dt.timedelta(days=1)
            lead.status = Lead.Status.SHOWED
        if i < 22:
            lead.sold_at = received + dt.timedelta(days=2)
            lead.status = Lead.Status.SOLD
        if 38 <= i < 48 or i >= 80:
            lead.status = Lead.Status.LOST
            lead.lost_at = received + dt.timedelta(days=3)
            lead.lost_reason = "no contact" if i >= 80 else "bought elsewhere"
        leads.append(lead)
    return Lead.objects.bulk_create(leads)
