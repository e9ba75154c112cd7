from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer
from followup.models import Attempt, HoursRule
from leads.models import Lead, LeadEvent

PREFIX = "demo-bdc-"


class Command(BaseCommand):
    help = (
        "Give the demo dealer's BDC a morning's worklist (an escalation, leads from last night, "
        "a recovery call due, a lead to hand back). Running it again changes nothing."
    )

    def handle(self, *args, **options) -> None:
        dealer = Dealer.objects.filter(slug="demo").first()
        if dealer is None:
            self.stdout.write("No demo dealer: run seed_demo first.")
            return
        if Lead.objects.filter(dealer=dealer, external_id__startswith=PREFIX).exists():
            self.stdout.write("BDC worklist: exists, unchanged")
            return
        with transaction.atomic():
            made = seed_bdc_worklist(dealer=dealer, now=timezone.now())
        self.stdout.write(f"BDC worklist: {made} leads")


def _lead(dealer: Dealer, number: int, first: str, last: str, received: dt.datetime, **fields):
    fields.setdefault("bdc", True)
    fields.setdefault("bdc_reason", "after hours")
    lead = Lead.objects.create(
        dealer=dealer,
        source=fields.pop("source", "mobile.de"),
        sources=["mobile.de"],
        external_id=f"{PREFIX}{number}",
        received_at=received,
        first_name=first,
        last_name=last,
        phone=f"+4915120000{number:03d}",
        email=f"{first.lower()}.{last.lower()}@example.de",
        consent_phone=True,
        consent_email=True,
        **fields,
    )
    lead.log(LeadEvent.Kind.RECEIVED, at=received, data={"source": lead.source})
    if lead.bdc:
        lead.log(LeadEvent.Kind.BDC, at=received, data={"reason": lead.bdc_reason})
    return lead


def seed_bdc_worklist(*, dealer: Dealer, now: dt.datetime) -> int:
    """Leads as the BDC finds them in the morning, timed relative to ``now``."""
    local = now.astimezone(dealer.tz)
    last_night = dt.datetime.combine(local.date(), dt.time(22, 47), tzinfo=dealer.tz)
    if last_night > now:
        last_night -= dt.timedelta(days=1)
    _tonight(dealer=dealer, now=now, last_night=last_night)
    _this_morning(dealer=dealer, now=now, last_night=last_night)
    return 5


def _tonight(*, dealer: Dealer, now: dt.datetime, last_night: dt.datetime) -> None:
    # A salesperson pressed 3: "to the BDC" a few minutes ago, nobody reached yet.
    _lead(
        dealer,
        1,
        "Sabine",
        "Krüger",
        now - dt.timedelta(minutes=6),
        vehicle_make="Volkswagen",
        vehicle_model="Tiguan",
        status=Lead.Status.CONTACTING,
        bdc_reason="handed on",
        first_attempt_at=now - dt.timedelta(minutes=5),
        next_action="call",
        next_action_due_at=now,
    )
    # Last night's leads: answered by email at once, the first call waits for the BDC.
    _lead(
        dealer,
        2,
        "Tobias",
        "Meier",
        last_night,
        vehicle_make="BMW",
        vehicle_model="320d",
        status=Lead.Status.CONTACTING,
        next_action="first_call",
        next_action_due_at=now + dt.timedelta(minutes=10),
    )
    _lead(
        dealer,
        3,
        "Aylin",
        "Demir",
        last_night + dt.timedelta(hours=4, minutes=25),
        vehicle_make="Skoda",
        vehicle_model="Octavia",
        source="autoscout24",
        status=Lead.Status.NEW,
        next_action="first_call",
        next_action_due_at=now + dt.timedelta(minutes=20),
    )


def _this_morning(*, dealer: Dealer, now: dt.datetime, last_night: dt.datetime) -> None:
    # Lost two weeks ago without contact: the BDC's one recovery call is due this morning.
    lost = _lead(
        dealer,
        4,
        "Klaus",
        "Fischer",
        now - dt.timedelta(days=22),
        vehicle_make="Opel",
        vehicle_model="Corsa",
        bdc=False,
        bdc_reason="",
        status=Lead.Status.LOST,
        lost_reason="no contact",
        lost_at=now - dt.timedelta(days=dealer.recovery_days),
    )
    Attempt.objects.create(
        dealer=dealer,
        lead=lost,
        key="recovery",
        channel=Attempt.Channel.PHONE,
        purpose="recovery",
        label="recovery",
        hours_rule=HoursRule.CONTACT,
        due_at=now - dt.timedelta(minutes=20),
    )
    # Reached by the BDC last night, not booked: back to a salesperson as the shift starts.
    _lead(
        dealer,
        5,
        "Marie",
        "Schulz",
        last_night - dt.timedelta(hours=1, minutes=17),
        vehicle_make="Audi",
        vehicle_model="A4 Avant",
        status=Lead.Status.REACHED,
        bdc_reason="after_hours",
        first_attempt_at=last_night - dt.timedelta(hours=1, minutes=12),
        reached_at=last_night - dt.timedelta(hours=1, minutes=5),
    )
