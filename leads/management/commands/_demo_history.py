"""Weeks of believable lead history for the demo dealer, so the queue and the funnel look real.

Arrivals follow the day and the week (lunch and evening peaks, quiet nights and Sundays);
outcomes sit near the 60% rule with salespeople and sources that differ; the salesperson's phone
first rings within seconds mostly, with a tail of slow ones that are reached less often. Every
milestone has a matching LeadEvent and the status is the last milestone reached by now.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, Salesperson
from leads.models import Lead, LeadEvent
from leads.reports.weeks import Week

HISTORY_PREFIX = "demo-hist-"
LEADS_PER_WEEK = 110
DAY_WEIGHTS = (1.25, 1.1, 1.0, 1.0, 0.95, 0.85, 0.6)  # Monday … Sunday
HOUR_WEIGHTS = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 2.0, 2.4, 2.5) + (
    2.6,
    2.3,
    2.0,
    2.0,
    2.1,
    2.3,
    2.6,
    2.9,
    3.0,
    2.6,
    1.6,
    0.7,
)


@dataclass(frozen=True)
class Source:
    name: str
    share: float
    quality: float  # multiplies the chance to reach and to sell


SOURCES = (
    Source("mobile.de", 0.38, 1.0),
    Source("autoscout24", 0.24, 0.95),
    Source("website", 0.2, 1.1),
    Source("google-ads", 0.1, 0.9),
    Source("meta", 0.08, 0.78),
)
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jan",
    "Katrin",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
]
LAST_NAMES = [
    "Schmidt",
    "Müller",
    "Weber",
    "Fischer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Wolf",
    "Braun",
]
CARS = (
    ("Volkswagen", "Golf"),
    ("Volkswagen", "Tiguan"),
    ("Skoda", "Octavia"),
    ("BMW", "320d"),
    ("Audi", "A4 Avant"),
    ("Opel", "Corsa"),
    ("Ford", "Kuga"),
    ("Hyundai", "Tucson"),
)
LOST_AFTER_REACHED = ("not interested", "bought elsewhere", "no budget")
LOST_AFTER_SHOW = ("bought elsewhere", "no budget", "vehicle sold")


def seed_history(*, dealer: Dealer, weeks: int, seed: int = 47) -> int:
    """Create ``weeks`` complete weeks of leads (plus this week so far). Returns how many leads
    were made: 0 when the dealer already has demo history (running it twice adds nothing)."""
    if Lead.objects.filter(dealer=dealer, external_id__startswith=HISTORY_PREFIX).exists():
        return 0
    staff = list(Salesperson.objects.filter(dealer=dealer).select_related("user"))
    sellers = [s for s in staff if s.role == Salesperson.Role.SALESPERSON]
    bdc = next((s for s in staff if s.role == Salesperson.Role.BDC), None)
    if not sellers:
        return 0
    rng = random.Random(seed)
    # The first seller is the dealership's best, the next a little slower and less persuasive.
    skill = {s.pk: 1.06 - 0.12 * i for i, s in enumerate(sellers)}
    speed = {s.pk: 1.0 + 0.8 * i for i, s in enumerate(sellers)}
    if bdc:
        skill[bdc.pk], speed[bdc.pk] = 0.9, 1.5
    now = timezone.now()
    first = Week.last_complete(dealer.tz, now).shifted(-(weeks - 1))
    leads: list[Lead] = []
    plans: list[list[tuple[str, dt.datetime, dict]]] = []
    number = 0
    for offset in range(weeks + 1):
        week = first.shifted(offset)
        count = max(20, round(rng.gauss(LEADS_PER_WEEK, 12)))
        for _ in range(count):
            received = _arrival(rng, week)
            if received >= now:
                continue
            number += 1
            lead, plan = _lead(rng, dealer, number, received, now, sellers, bdc, skill, speed)
            leads.append(lead)
            plans.append(plan)
    with transaction.atomic():
        Lead.objects.bulk_create(leads, batch_size=500)
        events = [
            LeadEvent(
                lead=lead,
                dealer=dealer,
                kind=kind,
                actor=data.pop("actor", None),
                at=at,
                data=data,
            )
            for lead, plan in zip(leads, plans, strict=True)
            for kind, at, data in plan
        ]
        LeadEvent.objects.bulk_create(events, batch_size=1000)
    return len(leads)


def _arrival(rng: random.Random, week: Week) -> dt.datetime:
    day = rng.choices(range(7), weights=DAY_WEIGHTS)[0]
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = dt.datetime.combine(
        week.monday + dt.timedelta(days=day),
        dt.time(hour, rng.randrange(60), rng.randrange(60)),
        tzinfo=week.tz,
    )
    return local.astimezone(dt.UTC)


def _ring_delay(rng: random.Random, slowness: float) -> dt.timedelta:
    """Mostly seconds: a log-normal around 25 s, and now and then a lead that waited long."""
    if rng.random() < 0.04 * slowness:
        return dt.timedelta(minutes=rng.uniform(8, 90))
    return dt.timedelta(seconds=max(4.0, rng.lognormvariate(3.2, 0.75) * slowness))


def _speed_factor(delay: dt.timedelta) -> float:
    minutes = delay.total_seconds() / 60
    return (
        1.0
        if minutes <= 1
        else 0.94
        if minutes <= 2
        else 0.86
        if minutes <= 5
        else 0.76
        if minutes <= 10
        else 0.62
    )


@dataclass
class _Story:
    """One demo lead being written: the row, who looks after it, and its timeline to be."""

    lead: Lead
    rep: Salesperson
    now: dt.datetime
    plan: list[tuple[str, dt.datetime, dict]]

    def move(self, status: str, at: dt.datetime, reason: str = "") -> bool:
        """Move the lead on as the engine would, unless that is still in the future."""
        if at > self.now:
            return False
        lead = self.lead
        data = {"from": lead.status, "to": status, "actor": self.rep}
        if reason:
            data["reason"] = reason
            lead.lost_reason = reason
        milestone = Lead.MILESTONES.get(status)
        if milestone:
            setattr(lead, milestone, at)
        lead.status = status
        self.plan.append((LeadEvent.Kind.STATUS, at, data))
        return True


def _lead(rng, dealer, number, received, now, sellers, bdc, skill, speed):
    source = rng.choices(SOURCES, weights=[s.share for s in SOURCES])[0]
    story = _received(rng, dealer, number, received, now, source, sellers, bdc)
    lead, rep, plan = story.lead, story.rep, story.plan
    delay = _ring_delay(rng, speed[rep.pk])
    ring = received + delay
    if ring > now:
        lead.next_action, lead.next_action_due_at = "call", received + dt.timedelta(minutes=2)
        return lead, plan
    lead.first_ring_at = lead.first_attempt_at = ring
    lead.attempt_count = 1
    story.move(Lead.Status.CONTACTING, ring)
    plan.append((LeadEvent.Kind.CALL, ring, {"attempt": 1, "actor": rep}))

    quality = source.quality * skill[rep.pk]
    reached = rng.random() < min(0.97, 0.88 * quality * _speed_factor(delay))
    attempts = rng.choices(range(1, 9), weights=[46, 24, 12, 7, 5, 3, 2, 1])[0] if reached else 8
    attempt_at = ring
    for attempt in range(2, attempts + 1):
        attempt_at += dt.timedelta(hours=rng.choice([2, 4, 20, 26, 48]))
        if attempt_at > now:
            break
        lead.attempt_count = attempt
        plan.append((LeadEvent.Kind.ATTEMPT, attempt_at, {"attempt": attempt, "actor": rep}))
    # Most salespeople press 1 on the first ring and the customer's phone rings seconds later.
    if rng.random() < 0.85:
        lead.customer_rang_at = ring + dt.timedelta(seconds=rng.uniform(8, 40))
    if not reached or lead.attempt_count < attempts:
        if attempt_at + dt.timedelta(days=3) < now and lead.attempt_count == attempts:
            story.move(Lead.Status.LOST, attempt_at + dt.timedelta(days=3), "no contact")
        else:
            lead.next_action = "call"
            lead.next_action_due_at = max(attempt_at + dt.timedelta(hours=4), now)
        return lead, plan
    reached_at = attempt_at + dt.timedelta(seconds=rng.uniform(30, 400))
    if lead.customer_rang_at is None or lead.customer_rang_at > reached_at:
        lead.customer_rang_at = reached_at - dt.timedelta(seconds=20)
    if story.move(Lead.Status.REACHED, reached_at):
        lead.reached_after_attempts = lead.attempt_count
        _after_reached(rng, story, quality, reached_at)
    return lead, plan


def _received(rng, dealer, number, received, now, source, sellers, bdc) -> _Story:
    """The lead as it arrived: who it went to, and its first lines on the timeline."""
    local_hour = received.astimezone(dealer.tz).hour
    after_hours = bdc is not None and (local_hour >= 21 or local_hour < 7)
    rep = bdc if after_hours else rng.choice(sellers)
    make, model = rng.choice(CARS)
    preferred = rng.choices(
        [Lead.Channel.PHONE, Lead.Channel.WHATSAPP, Lead.Channel.EMAIL], weights=[6, 3, 1]
    )[0]
    sources = [source.name]
    if rng.random() < 0.1:
        sources.append(rng.choice([s.name for s in SOURCES if s.name != source.name]))
    lead = Lead(
        dealer=dealer,
        source=source.name,
        sources=sources,
        external_id=f"{HISTORY_PREFIX}{number}",
        received_at=received,
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        email=f"kunde{number}@example.de",
        phone=f"+49151{number:08d}",
        preferred_channel=preferred,
        vehicle_make=make,
        vehicle_model=model,
        vehicle_year=rng.randint(2018, 2026),
        vehicle_condition=rng.choice(["new", "used", "used"]),
        consent_whatsapp=preferred == Lead.Channel.WHATSAPP,
        assigned_to=rep,
        bdc=after_hours,
        bdc_reason="after hours" if after_hours else "",
        first_channel=Lead.Channel.PHONE if preferred != Lead.Channel.EMAIL else Lead.Channel.EMAIL,
        status=Lead.Status.NEW,
    )
    plan: list[tuple[str, dt.datetime, dict]] = [
        (LeadEvent.Kind.RECEIVED, received, {"source": source.name}),
        (
            LeadEvent.Kind.ASSIGNED,
            received,
            {"to": rep.pk, "name": rep.display_name, "actor": None},
        ),
    ]
    if after_hours:
        plan.append((LeadEvent.Kind.BDC, received, {"reason": "after hours"}))
    return _Story(lead=lead, rep=rep, now=now, plan=plan)


def _after_reached(rng, story: _Story, quality: float, reached_at: dt.datetime) -> None:
    """Appointment, show, sale or loss after the customer was reached, near the 60% rule."""
    lead, now, move = story.lead, story.now, story.move
    if rng.random() < 0.6 * quality:
        set_at = reached_at + dt.timedelta(hours=rng.uniform(0.1, 30))
        if not move(Lead.Status.APPOINTMENT, set_at):
            return
        lead.appointment_at = set_at + dt.timedelta(days=rng.uniform(1, 6))
        if lead.appointment_at > now:
            lead.next_action, lead.next_action_due_at = "appointment", lead.appointment_at
            return
        if rng.random() < 0.8 * (0.5 + quality / 2):
            if not move(Lead.Status.SHOWED, lead.appointment_at):
                return
            if rng.random() < 0.6 * quality:
                move(Lead.Status.SOLD, lead.appointment_at + dt.timedelta(days=rng.uniform(0, 5)))
            else:
                move(
                    Lead.Status.LOST,
                    lead.appointment_at + dt.timedelta(days=rng.uniform(5, 12)),
                    rng.choice(LOST_AFTER_SHOW),
                )
        else:
            move(
                Lead.Status.LOST,
                lead.appointment_at + dt.timedelta(days=3),
                rng.choice(LOST_AFTER_REACHED),
            )
    elif rng.random() < 0.04:
        move(Lead.Status.SOLD, reached_at + dt.timedelta(days=rng.uniform(1, 4)))  # walk-in buyer
    else:
        move(
            Lead.Status.LOST,
            reached_at + dt.timedelta(days=rng.uniform(4, 14)),
            rng.choice(LOST_AFTER_REACHED),
        )
    if lead.is_open and lead.status in (Lead.Status.REACHED,):
        lead.next_action, lead.next_action_due_at = "call", max(reached_at, now)
