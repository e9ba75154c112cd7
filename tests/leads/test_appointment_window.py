"""Appointments only inside the dealer's window: from now to N days ahead, in its time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

import leads.engine
from followup.booking.slots import free_slots
from leads.models import Lead, LeadEvent
from leads.services import AppointmentOutsideWindow, lead_book_appointment
from tests.conftest import make_lead
from tests.leads.test_lead_actions import RecordingEngine, act, flashes

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def engine(monkeypatch) -> RecordingEngine:
    double = RecordingEngine()
    monkeypatch.setattr(leads.engine, "_engine", double)
    return double


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def reached(dealer_a, rep_a1) -> Lead:
    lead = make_lead(dealer_a, rep_a1)
    lead.log(LeadEvent.Kind.INBOUND, data={"channel": "email", "text": "Ja, gerne"})
    return lead


def test_a_date_years_ahead_is_refused_and_nothing_is_sent(lena, reached, engine):
    response = act(lena, reached, "appointment", at="9999-12-31T23:59")

    reached.refresh_from_db()
    assert reached.status == "new"
    assert reached.appointment_at is None
    assert engine.calls == []
    assert any("up to 90 days ahead" in m for m in flashes(response))


def test_a_date_an_hour_ago_is_refused(lena, reached, engine):
    response = act(lena, reached, "appointment", at="2026-11-23T09:00")

    assert Lead.objects.get(pk=reached.pk).appointment_at is None
    assert any("cannot be in the past" in m for m in flashes(response))


def test_the_last_allowed_day_is_the_90th_in_the_dealers_zone(lena, reached, engine):
    act(lena, reached, "appointment", at="2027-02-21T18:00", note="talked")
    assert Lead.objects.get(pk=reached.pk).appointment_at == dt.datetime(
        2027, 2, 21, 18, 0, tzinfo=BERLIN
    )

    act(lena, reached, "appointment", at="2027-02-22T09:00")
    assert Lead.objects.get(pk=reached.pk).appointment_at.astimezone(BERLIN).day == 21


def test_the_window_is_a_dealer_setting(dealer_a, lena, reached, engine):
    dealer_a.appointment_days_ahead = 14
    dealer_a.save(update_fields=["appointment_days_ahead"])

    response = act(lena, reached, "appointment", at="2026-12-10T10:00")

    assert Lead.objects.get(pk=reached.pk).appointment_at is None
    assert any("up to 14 days ahead" in m for m in flashes(response))


def test_the_page_offers_only_the_allowed_days(lena, reached):
    page = lena.get(f"/leads/{reached.pk}/").content.decode()

    assert 'min="2026-11-23T10:00"' in page
    assert 'max="2027-02-21T23:59"' in page


def test_the_lead_state_move_refuses_too_for_any_caller(reached, rep_a1):
    """The customer's booking page sets appointments through the same service."""
    with pytest.raises(AppointmentOutsideWindow):
        lead_book_appointment(
            lead=reached, by=None, at=dt.datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("UTC"))
        )
    with pytest.raises(AppointmentOutsideWindow):
        lead_book_appointment(
            lead=reached,
            by=rep_a1,
            at=dt.datetime(9999, 12, 31, 20, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
        )
    assert mail.outbox == []
    assert Lead.objects.get(pk=reached.pk).status == "new"


def test_the_booking_page_offers_slots_only_inside_the_dealers_window(dealer_a, reached):
    dealer_a.appointment_days_ahead = 2
    dealer_a.save(update_fields=["appointment_days_ahead"])
    reached.dealer.refresh_from_db()

    slots = free_slots(lead=Lead.objects.select_related("dealer").get(pk=reached.pk))

    _start, end = dealer_a.appointment_window(dt.datetime.now(tz=BERLIN))
    assert slots
    assert all(slot.starts_at <= end for slot in slots)
    assert max(s.starts_at for s in slots).astimezone(BERLIN).date() == dt.date(2026, 11, 25)
