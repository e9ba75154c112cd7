from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from followup.messaging import appointment_booked
from followup.models import OutboundMessage
from followup.tasks import send_due
from leads.engine import EngineUnavailable
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN
from tests.followup.messages_support import make_lead

Status = OutboundMessage.Status
WEDNESDAY_3PM = dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN)
TUESDAY_10AM = dt.datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)


def book(lead: Lead, when: dt.datetime, by, capture) -> None:
    lead.appointment_at = when.astimezone(dt.UTC)
    lead.status = Lead.Status.APPOINTMENT
    lead.save()
    with capture(execute=True):
        appointment_booked(lead=lead, by=by)


def run_beat_at(when: dt.datetime, capture) -> None:
    with time_machine.travel(when), capture(execute=True):
        send_due()


def test_confirmation_now_in_the_dealers_time_and_a_reminder_the_day_before(
    messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1, preferred_channel="email")

    book(lead, WEDNESDAY_3PM, rep_a1, django_capture_on_commit_callbacks)

    [confirmation] = mail.outbox
    assert confirmation.subject == "Ihr Termin bei Autohaus Nord: 25. November 2026 15:00"
    assert "Termin am 25. November 2026 15:00 bei Autohaus Nord" in confirmation.body
    reminder = OutboundMessage.objects.get(purpose="reminder")
    assert (reminder.status, reminder.send_after) == (Status.QUEUED, TUESDAY_10AM)
    assert lead.events.filter(kind=LeadEvent.Kind.MESSAGE, data__status="scheduled").exists()

    run_beat_at(TUESDAY_10AM - dt.timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    run_beat_at(TUESDAY_10AM + dt.timedelta(seconds=20), django_capture_on_commit_callbacks)
    run_beat_at(TUESDAY_10AM + dt.timedelta(seconds=50), django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "Erinnerung: Ihr Termin morgen bei Autohaus Nord"
    assert "25. November 2026 15:00" in mail.outbox[1].body
    reminder.refresh_from_db()
    assert reminder.status == Status.SENT


def test_whatsapp_customers_get_the_confirmation_by_whatsapp(
    messages_sandbox, dealer_b, rep_b1, django_capture_on_commit_callbacks
):
    dealer_b.whatsapp_sender = "+31201234567"
    dealer_b.save()
    lead = make_lead(
        dealer_b,
        assigned_to=rep_b1,
        phone="+31612345670",
        language="en",
        preferred_channel="whatsapp",
    )

    book(
        lead,
        dt.datetime(2026, 11, 26, 9, 30, tzinfo=dealer_b.tz),
        rep_b1,
        django_capture_on_commit_callbacks,
    )

    confirmation = OutboundMessage.objects.get(purpose="appointment")
    assert confirmation.channel == "whatsapp"
    assert confirmation.status == Status.SENT
    assert "on 26 November 2026, 09:30 at Garage Zuid" in confirmation.body
    assert mail.outbox == []


def test_booking_again_replaces_the_earlier_reminder(
    messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1, preferred_channel="email")
    book(lead, WEDNESDAY_3PM, rep_a1, django_capture_on_commit_callbacks)

    book(lead, WEDNESDAY_3PM + dt.timedelta(days=2), rep_a1, django_capture_on_commit_callbacks)

    reminders = OutboundMessage.objects.filter(purpose="reminder").order_by("id")
    assert [r.status for r in reminders] == [Status.CANCELLED, Status.QUEUED]
    assert reminders[1].send_after == TUESDAY_10AM + dt.timedelta(days=2)
    run_beat_at(TUESDAY_10AM + dt.timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2, "two confirmations, no reminder for the old date"


def test_no_reminder_when_the_appointment_changed_behind_its_back(
    messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1, preferred_channel="email")
    book(lead, WEDNESDAY_3PM, rep_a1, django_capture_on_commit_callbacks)
    lead.move_to(Lead.Status.LOST, reason="bought elsewhere")

    run_beat_at(TUESDAY_10AM + dt.timedelta(minutes=1), django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    reminder = OutboundMessage.objects.get(purpose="reminder")
    assert reminder.status == Status.CANCELLED
    assert reminder.error_reason == "the appointment was changed or cancelled"


def test_an_appointment_tomorrow_morning_gets_no_reminder_in_the_past(
    messages_sandbox, dealer_a, rep_a1, django_capture_on_commit_callbacks
):
    lead = make_lead(dealer_a, assigned_to=rep_a1, preferred_channel="email")

    book(lead, TUESDAY_10AM, rep_a1, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert not OutboundMessage.objects.filter(purpose="reminder").exists()


def test_booking_without_a_time_is_refused(messages_sandbox, dealer_a, rep_a1):
    lead = make_lead(dealer_a)

    with pytest.raises(EngineUnavailable):
        appointment_booked(lead=lead, by=rep_a1)
