"""One date format per page: English pages do not mix US dates with day.month ones."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

import leads.engine
from leads.management.commands._demo_history import seed_history
from leads.models import Lead, LeadEvent
from tests.conftest import make_lead
from tests.leads.test_lead_actions import RecordingEngine

BERLIN = ZoneInfo("Europe/Berlin")
US_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b[ap]\.m\.")
DAY_MONTH_DOTS = re.compile(r"\b\d{1,2}\.\d{1,2}\.")
GERMAN_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}\b")


@pytest.fixture
def engine(monkeypatch) -> RecordingEngine:
    double = RecordingEngine()
    monkeypatch.setattr(leads.engine, "_engine", double)
    return double


@pytest.fixture
def lead(dealer_a, rep_a1) -> Lead:
    lead = make_lead(
        dealer_a,
        rep_a1,
        status=Lead.Status.APPOINTMENT,
        appointment_at=dt.datetime(2026, 11, 25, 15, 30, tzinfo=BERLIN),
        next_action="call",
        next_action_due_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN),
    )
    lead.log(LeadEvent.Kind.APPOINTMENT, data={"at": "2026-11-25T14:30:00+00:00"})
    return lead


def page_as(client, staff, url: str, language: str) -> str:
    client.force_login(staff.user)
    client.cookies["django_language"] = language
    return client.get(url).content.decode()


def test_the_lead_page_in_english_has_one_date_format(client, rep_a1, lead, engine):
    page = page_as(client, rep_a1, f"/leads/{lead.pk}/", "en")

    assert not US_DATE.findall(page)
    assert not DAY_MONTH_DOTS.findall(page)
    assert "25 Nov 2026, 15:30" in page  # the appointment, in the facts and on the timeline
    assert "24 Nov 2026, 10:00" in page  # the engine's next attempt (tomorrow 09:00 UTC)


def test_the_queue_in_english_has_one_date_format(client, manager_a, lead):
    page = page_as(client, manager_a, "/queue/", "en")

    assert not US_DATE.findall(page)
    assert not DAY_MONTH_DOTS.findall(page)
    assert "24 Nov 2026, 09:00" in page


def test_german_pages_keep_german_dates(client, rep_a1, lead, engine):
    page = page_as(client, rep_a1, f"/leads/{lead.pk}/", "de")

    assert "25.11.2026 15:30" in page
    assert not US_DATE.findall(page)


def test_english_lead_pages_with_the_demo_history_show_no_day_month_date(
    client, dealer_a, rep_a1, rep_a2, manager_a, bdc_a, engine
):
    seed_history(dealer=dealer_a, weeks=1)
    one_per_status = {lead.status: lead for lead in Lead.objects.filter(dealer=dealer_a)}
    assert len(one_per_status) >= 4

    for lead in one_per_status.values():
        page = page_as(client, manager_a, f"/leads/{lead.pk}/", "en")
        assert not DAY_MONTH_DOTS.findall(page), lead.status
        assert not US_DATE.findall(page), lead.status
        german = page_as(client, manager_a, f"/leads/{lead.pk}/", "de")
        assert GERMAN_DATE.search(german), lead.status
