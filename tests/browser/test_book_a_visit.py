"""A customer books a test drive on their phone from the link in the first message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from followup.booking.links import booking_url
from followup.models import Attempt
from followup.services import cadence_schedule
from leads.models import Lead
from tests.browser.conftest import ARTIFACTS
from tests.conftest import BERLIN, make_lead

pytestmark = pytest.mark.browser

WEDNESDAY_3PM = dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN)
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(**PHONE)
    context.set_default_timeout(15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_customer_books_a_test_drive_on_a_phone(phone, live_server, dealer_a, rep_a1, settings):
    settings.LEADFLOW_PUBLIC_URL = live_server.url
    settings.LEADFLOW_PROVIDERS = "sandbox"
    lead = make_lead(
        dealer_a,
        rep_a1,
        status=Lead.Status.CONTACTING,
        language="de",
        vehicle_stock_number="A1234",
        vehicle_price=21990,
        vehicle_year=2023,
        preferred_channel="email",
    )
    cadence_schedule(lead=lead)

    phone.goto(booking_url(lead=lead))
    phone.get_by_text("Hallo Anna, wann möchten Sie kommen?").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(ARTIFACTS / "booking-phone-1-slots.png"), full_page=True)

    day = phone.locator("fieldset.day", has_text="Mittwoch, 25. November 2026")
    day.get_by_text("15:00", exact=True).click()
    phone.get_by_role("button", name="Diese Zeit buchen").click()

    phone.get_by_text("Gebucht – bis bald!").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "booking-phone-2-booked.png"), full_page=True)
    assert phone.get_by_text("Probefahrt am Mittwoch, 25. November 2026 um 15:00").is_visible()
    lead.refresh_from_db()
    assert (lead.status, lead.appointment_at) == (Lead.Status.APPOINTMENT, WEDNESDAY_3PM)
    assert not Attempt.objects.pending().filter(lead=lead, channel="phone").exists()
    confirmation = next(m for m in mail.outbox if m.to == ["anna.schmidt@example.de"])
    [(name, ics, mimetype)] = confirmation.attachments
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert name == "termin.ics" and mimetype.startswith("text/calendar")
    assert "DTSTART:20261125T140000Z" in ics
    assert any(m.to == ["lena@example.com"] for m in mail.outbox)

    with phone.expect_download() as download:
        phone.get_by_role("link", name="In meinen Kalender übernehmen").click()
    assert "BEGIN:VEVENT" in download.value.path().read_text(encoding="utf-8")
