"""The customer books themselves: the signed link, the page, the appointment it sets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from followup.booking.links import booking_url
from followup.booking.models import Booking
from followup.models import Attempt
from followup.services import cadence_schedule
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN, MONDAY_10AM, make_lead

WEDNESDAY_3PM = dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN)


def key(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")


def path_of(lead) -> str:
    return booking_url(lead=lead).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def anna(dealer_a, rep_a1, messages_sandbox):
    lead = make_lead(
        dealer_a,
        rep_a1,
        status=Lead.Status.CONTACTING,
        language="de",
        preferred_channel="whatsapp",
        consent_whatsapp=True,
        vehicle_stock_number="A1234",
        vehicle_price=21990,
    )
    cadence_schedule(lead=lead)
    return lead


def book(client, lead, when, capture, kind="test_drive"):
    with capture(execute=True):
        return client.post(path_of(lead), {"action": "book", "slot": key(when), "kind": kind})


def test_the_link_is_absolute_signed_and_opens_the_page_in_the_customers_language(
    client, anna, rep_a1
):
    url = booking_url(lead=anna)
    assert url.startswith("https://leadflow.example/book/")

    page = client.get(path_of(anna))

    assert page.status_code == 200
    text = page.content.decode()
    assert '<html lang="de">' in text
    assert "Hallo Anna, wann möchten Sie kommen?" in text
    assert "Freie Zeiten von Lena Test" in text
    assert f'name="slot" value="{key(WEDNESDAY_3PM)}"' in text
    # Two hours' notice: the 11:00 slot is too soon, 13:00 is offered.
    assert f'name="slot" value="{key(MONDAY_10AM + dt.timedelta(hours=1))}"' not in text
    assert f'name="slot" value="{key(MONDAY_10AM + dt.timedelta(hours=3))}"' in text
    assert "<script" not in text


def test_booking_a_slot_sets_the_appointment_confirms_it_with_an_ics_and_ends_the_calls(
    client, anna, rep_a1, django_capture_on_commit_callbacks
):
    assert Attempt.objects.pending().filter(lead=anna, channel="phone").exists()

    response = book(client, anna, WEDNESDAY_3PM, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.status == Lead.Status.APPOINTMENT
    assert anna.appointment_at == WEDNESDAY_3PM
    move = anna.events.get(kind=LeadEvent.Kind.STATUS, data__to="appointment")
    assert move.data["evidence"]["kind"] == "customer_booking"
    assert move.actor is None
    assert (
        not Attempt.objects.pending()
        .filter(lead=anna, requested_by=None)
        .exclude(purpose="recovery")
        .exists()
    )
    confirmation, notice = sorted(mail.outbox, key=lambda m: m.to[0])
    assert confirmation.to == ["anna.schmidt@example.de"]
    assert confirmation.subject == "Ihr Termin bei Autohaus Nord: 25. November 2026 15:00"
    [(name, ics, mimetype)] = confirmation.attachments
    assert (name, mimetype.split(";")[0]) == ("termin.ics", "text/calendar")
    assert "DTSTART:20261125T140000Z" in ics.decode() if isinstance(ics, bytes) else ics
    assert "DTEND:20261125T150000Z" in (ics.decode() if isinstance(ics, bytes) else ics)
    assert notice.to == ["lena@example.com"]
    assert "Anna Schmidt" in notice.subject and "25. November 2026 15:00" in notice.subject

    page = client.get(response["Location"]).content.decode()
    assert "Gebucht" in page
    assert "Probefahrt am Mittwoch, 25. November 2026 um 15:00 bei Autohaus Nord" in page


def test_a_taken_slot_is_refused_with_a_friendly_message_and_not_offered_again(
    client, anna, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    ben = make_lead(dealer_a, rep_a1, first_name="Ben", email="ben@example.de", phone="")
    book(client, anna, WEDNESDAY_3PM, django_capture_on_commit_callbacks)

    response = book(client, ben, WEDNESDAY_3PM, django_capture_on_commit_callbacks)

    assert response.status_code == 409
    text = response.content.decode()
    assert "gerade eben vergeben" in text
    assert f'name="slot" value="{key(WEDNESDAY_3PM)}"' not in text
    ben.refresh_from_db()
    assert ben.appointment_at is None
    assert Booking.objects.count() == 1


def test_a_salespersons_own_appointments_and_working_hours_are_not_offered(
    client, anna, dealer_a, rep_a1
):
    rep_a1.working_hours = {"wed": [["12:00", "16:00"]]}
    rep_a1.save()
    make_lead(
        dealer_a,
        rep_a1,
        status=Lead.Status.APPOINTMENT,
        appointment_at=WEDNESDAY_3PM - dt.timedelta(hours=1),
    )

    text = client.get(path_of(anna)).content.decode()

    offered = re.findall(r'name="slot" value="(20261125\w+)"', text)
    assert offered == [key(WEDNESDAY_3PM - dt.timedelta(hours=h)) for h in (3, 2, 0)]


def test_the_dealers_calendar_when_nobody_is_assigned(client, dealer_a, messages_sandbox, rep_a1):
    lead = make_lead(dealer_a, None, bdc=True)

    text = client.get(path_of(lead)).content.decode()

    assert "Freie Zeiten (je 60 Minuten)" in text
    assert f'name="slot" value="{key(WEDNESDAY_3PM)}"' in text


def test_english_and_a_language_switch(client, anna):
    anna.language = "en"
    anna.save()

    text = client.get(path_of(anna)).content.decode()
    assert "Hello Anna, when would you like to come?" in text
    assert 'href="?lang=de"' in text

    assert "wann möchten Sie kommen?" in client.get(path_of(anna) + "?lang=de").content.decode()


def test_the_english_page_dates_its_days_and_times_one_way(client, anna):
    anna.language = "en"
    anna.save()

    text = client.get(path_of(anna)).content.decode()

    assert "Wednesday, 25 November 2026" in text
    assert not re.findall(r"\b[A-Z][a-z]{2}\. \d|\b[ap]\.m\.|\d/\d", text)


def test_asking_for_a_call_back_schedules_the_call_and_drops_earlier_calls(
    client, anna, django_capture_on_commit_callbacks
):
    at = dt.datetime(2026, 11, 24, 17, 30, tzinfo=BERLIN)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path_of(anna), {"action": "callback", "at": key(at)})

    assert response.status_code == 302
    call = Attempt.objects.get(lead=anna, purpose="callback")
    assert (call.channel, call.due_at, call.status) == ("phone", at, "scheduled")
    assert not Attempt.objects.pending().filter(lead=anna, channel="phone", due_at__lt=at).exists()
    [notice] = mail.outbox
    assert notice.to == ["lena@example.com"]
    assert "Anna Schmidt bittet um einen Anruf" in notice.subject
    assert "24. November 2026 17:30" in notice.subject
    assert "Danke – wir rufen Sie an." in client.get(response["Location"]).content.decode()


def test_expired_and_tampered_links_get_a_friendly_page(client, anna):
    path = path_of(anna)

    with time_machine.travel(MONDAY_10AM + dt.timedelta(days=15)):
        expired = client.get(path)
    tampered = client.get(path[:-3] + "abc/")
    nonsense = client.post("/book/%20%00/", {"action": "book"})

    assert expired.status_code == 410
    assert "Dieser Link ist abgelaufen" in expired.content.decode()
    assert "+4940123456" in expired.content.decode()
    assert tampered.status_code == 404
    assert "Dieser Link funktioniert nicht" in tampered.content.decode()
    assert nonsense.status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"action": "book"},
        {"action": "book", "slot": "yesterday"},
        {"action": "book", "slot": "20261125T1400Z", "kind": "callback"},
        {"action": "book", "slot": "20261125T1400Z", "kind": "x" * 1000},
        {"action": "callback", "at": "20261125T0300Z"},
        {"action": "book", "slot": "20261125T1415Z"},
        {"action": "book", "slot": "20991125T1400Z"},
    ],
)
def test_bad_posts_get_the_page_again_not_an_error(client, anna, data):
    response = client.post(path_of(anna), data)

    assert response.status_code in (400, 409)
    assert "wann möchten Sie kommen?" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_sold_lead_has_nothing_to_book(client, anna):
    Lead.objects.filter(pk=anna.pk).update(status=Lead.Status.SOLD)

    text = client.get(path_of(anna)).content.decode()

    assert "nichts mehr zu buchen" in text
    assert 'name="slot"' not in text


def test_booking_again_moves_the_appointment_and_frees_the_old_slot(
    client, anna, rep_a1, dealer_a, django_capture_on_commit_callbacks
):
    book(client, anna, WEDNESDAY_3PM, django_capture_on_commit_callbacks)
    later = WEDNESDAY_3PM + dt.timedelta(days=1)

    book(client, anna, later, django_capture_on_commit_callbacks, kind="visit")

    anna.refresh_from_db()
    assert anna.appointment_at == later
    assert list(Booking.objects.values_list("starts_at", "status")) == [
        (WEDNESDAY_3PM, "cancelled"),
        (later, "booked"),
    ]
    ben = make_lead(dealer_a, rep_a1, first_name="Ben", email="ben@example.de", phone="")
    assert f'name="slot" value="{key(WEDNESDAY_3PM)}"' in client.get(path_of(ben)).content.decode()


@override_settings(LEADFLOW_PUBLIC_URL="https://leadflow.example")
def test_the_calendar_file_for_the_booked_appointment(
    client, anna, django_capture_on_commit_callbacks
):
    book(client, anna, WEDNESDAY_3PM, django_capture_on_commit_callbacks)

    response = client.get(path_of(anna) + "calendar.ics")

    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body and "DTSTART:20261125T140000Z" in body
    assert "Probefahrt bei Autohaus Nord" in body


def test_a_booking_while_the_broker_is_down_is_kept_and_confirmed_when_it_is_back(
    client, anna, django_capture_on_commit_callbacks
):
    from unittest import mock

    from kombu.exceptions import OperationalError

    from followup.tasks import notify_booking, send_due, send_message
    from leadflow.celery import app

    down = OperationalError("Error 111 connecting to broker. Connection refused.")
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch.object(
                type(send_message._get_current_object()), "delay_on_commit", side_effect=down
            ),
            mock.patch.object(
                type(notify_booking._get_current_object()), "delay_on_commit", side_effect=down
            ),
        ):
            response = book(client, anna, WEDNESDAY_3PM, django_capture_on_commit_callbacks)
    finally:
        app.conf.task_always_eager = True

    assert response.status_code == 302
    anna.refresh_from_db()
    assert (anna.status, anna.appointment_at) == (Lead.Status.APPOINTMENT, WEDNESDAY_3PM)
    assert mail.outbox == []
    with (
        time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["anna.schmidt@example.de", "lena@example.com"]
    with time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=3)):
        send_due()
    assert len(mail.outbox) == 2
