from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from dealers.models import Dealer
from leads.models import Lead, LeadEvent
from leads.reports.funnel import funnel_report
from leads.reports.weeks import Week


@pytest.fixture
def seeded(db):
    with override_settings(LEADFLOW_DEMO_TOKEN="lf_demo"):
        call_command("seed_demo", history=12, stdout=StringIO())
    return Dealer.objects.get(slug="demo")


def test_history_fills_twelve_weeks_near_the_sixty_percent_rule(seeded):
    weeks = [Week.last_complete(seeded.tz).shifted(-i) for i in range(12)]
    reports = [funnel_report(dealer=seeded, week=week) for week in weeks]

    assert all(80 <= r.total.gross <= 150 for r in reports)
    total = {k: sum(r.total.counts[k] for r in reports) for k in ("gross", "reached", "sold")}
    assert 0.65 <= total["reached"] / total["gross"] <= 0.9
    assert 0.14 <= total["sold"] / total["gross"] <= 0.3
    speed = reports[0].speed["salesperson"][0]
    assert speed["p50_seconds"] < 60 < speed["p90_seconds"] or speed["p90_seconds"] < 600


def test_history_statuses_milestones_and_events_agree(seeded):
    leads = Lead.objects.filter(dealer=seeded)
    for status, milestone in Lead.MILESTONES.items():
        assert not leads.filter(status=status, **{f"{milestone}__isnull": True}).exists()
    assert not leads.filter(sold_at__isnull=False).exclude(status=Lead.Status.SOLD).exists()
    assert not leads.filter(reached_at__isnull=False, first_ring_at__isnull=True).exists()
    assert leads.filter(status=Lead.Status.SOLD).count() == (
        LeadEvent.objects.filter(lead__dealer=seeded, kind="status", data__to="sold").count()
    )
    assert LeadEvent.objects.filter(kind="received").count() == leads.count()
    # The current week has open leads for the queue.
    assert leads.filter(status__in=Lead.OPEN_STATUSES).exists()


def test_seeding_history_twice_does_not_double_it(seeded):
    count = Lead.objects.count()

    out = StringIO()
    call_command("seed_demo", history=12, stdout=out)

    assert Lead.objects.count() == count
    assert "unchanged" in out.getvalue()
