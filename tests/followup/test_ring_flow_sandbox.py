"""The ring flow in sandbox mode, played through the /sandbox/ buttons like a person would."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from followup.models import Attempt, Call
from leads.models import Lead, LeadEvent
from tests.conftest import BERLIN
from tests.followup.conftest import agent_leg, pending


def press(client, call: Call, action: str, **data):
    return client.post(reverse("followup:sandbox-act", args=[call.pk, action]), data)


@pytest.fixture
def logged_in(client, rep_a1, manager_a):
    """The manager plays every phone of the dealer (a salesperson only their own)."""
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"  # the assertions below quote the English UI
    return client


def test_posting_a_lead_rings_the_assigned_salesperson_in_the_sandbox(post_lead, rep_a1, logged_in):
    lead = post_lead()

    call = agent_leg(lead)
    assert (call.to, call.from_number, call.status) == ("+4915110000001", "+4940123456", "ringing")
    lead.refresh_from_db()
    assert lead.first_ring_at is not None
    assert lead.first_attempt_at is not None and lead.first_channel == "phone"
    messages_sent = Attempt.objects.filter(lead=lead, key__startswith="first_", outcome="sent")
    assert lead.attempt_count == 1 + messages_sent.count()
    assert lead.status == "contacting"
    page = logged_in.get("/sandbox/")
    assert page.status_code == 200
    assert "Lena Test" in page.content.decode()
    assert 'hx-get="/sandbox/messages/"' in page.content.decode()


def test_pressing_1_and_talking_45_seconds_marks_the_lead_reached(post_lead, rep_a1, logged_in):
    lead = post_lead()
    call = agent_leg(lead)

    assert press(logged_in, call, "answer").status_code == 302
    page = logged_in.get("/sandbox/", HTTP_HX_REQUEST="true").content.decode()
    assert "Interessiert an Volkswagen Golf 2023." in page  # the whisper, as the phone says it
    press(logged_in, call, "press-1")
    customer = Call.objects.get(parent=call)
    assert (customer.to, customer.status) == ("+491711234567", "ringing")
    lead.refresh_from_db()
    assert lead.customer_rang_at is not None
    press(logged_in, customer, "answer")
    press(logged_in, customer, "talk", seconds=45)

    lead.refresh_from_db()
    assert lead.status == "reached"
    assert pending(lead) == []
    cancelled = Attempt.objects.filter(lead=lead, status="cancelled")
    assert cancelled.count() == 11 and {a.reason for a in cancelled} == {"reached"}
    events = [e.data.get("event") for e in lead.events.filter(kind=LeadEvent.Kind.CALL)]
    assert events[:6] == [
        "dialing",
        "ringing",
        "answered",
        "pressed",
        "customer ringing",
        "customer answered",
    ]
    assert "customer call ended" in events
    page = logged_in.get("/sandbox/").content.decode()
    assert "Call with the customer ended after 45 s: reached" in page
    assert "Cancelled (reached)" in page


def test_a_short_call_does_not_count_as_reached(post_lead, rep_a1, logged_in):
    lead = post_lead()
    call = agent_leg(lead)
    press(logged_in, call, "answer")
    press(logged_in, call, "press-1")
    customer = Call.objects.get(parent=call)
    press(logged_in, customer, "answer")
    press(logged_in, customer, "talk", seconds=20)

    lead.refresh_from_db()
    assert lead.status == "contacting"
    assert Attempt.objects.get(lead=lead, key="first_call").outcome == "customer completed"
    assert "step:1" in pending(lead)


def test_no_answer_rings_the_next_salesperson_then_the_bdc(
    post_lead, rep_a1, rep_a2, logged_in, django_capture_on_commit_callbacks
):
    lead = post_lead()
    with django_capture_on_commit_callbacks(execute=True):
        press(logged_in, agent_leg(lead), "decline")
    assert agent_leg(lead, 1).salesperson == rep_a2
    with django_capture_on_commit_callbacks(execute=True):
        press(logged_in, agent_leg(lead, 1), "voicemail")
    bdc = agent_leg(lead, 2)
    assert (bdc.is_bdc, bdc.to, bdc.status) == (True, "+4940123459", "ringing")
    with django_capture_on_commit_callbacks(execute=True):
        press(logged_in, bdc, "decline")
    assert Attempt.objects.get(lead=lead, key="first_call").outcome == "nobody answered"
    assert Call.objects.filter(lead=lead).count() == 3


def test_pressing_2_passes_on_and_3_hands_to_the_bdc(
    post_lead, rep_a1, rep_a2, logged_in, django_capture_on_commit_callbacks
):
    lead = post_lead()
    first = agent_leg(lead)
    press(logged_in, first, "answer")
    with django_capture_on_commit_callbacks(execute=True):
        press(logged_in, first, "press-2")
    second = agent_leg(lead, 1)
    assert second.salesperson == rep_a2
    press(logged_in, second, "answer")
    with django_capture_on_commit_callbacks(execute=True):
        press(logged_in, second, "press-3")
    assert agent_leg(lead, 2).is_bdc
    lead.refresh_from_db()
    assert lead.bdc is True


def test_after_the_bdc_hour_the_bdc_is_rung(post_lead, rep_a1):
    with time_machine.travel(dt.datetime(2026, 11, 23, 18, 30, tzinfo=BERLIN), tick=False):
        lead = post_lead()
    call = agent_leg(lead)
    assert call.is_bdc and call.to == "+4940123459"


def test_sandbox_shows_only_the_users_dealer(post_lead, rep_a1, rep_b1, client):
    lead = post_lead()
    client.force_login(rep_b1.user)
    assert "Anna" not in client.get("/sandbox/").content.decode()
    assert press(client, agent_leg(lead), "answer").status_code == 404
    assert Lead.objects.get(pk=lead.pk).events.filter(data__event="answered").count() == 0


def test_sandbox_needs_login(client):
    assert client.get("/sandbox/").status_code == 302
