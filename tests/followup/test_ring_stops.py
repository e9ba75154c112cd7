"""Reached, booked, lost or opted out ends the ring in progress and cancels what is planned."""

from __future__ import annotations

import pytest
from django.urls import reverse

from followup.models import Attempt, Call
from tests.followup.conftest import agent_leg, pending, twilio_post


def act(client, lead, action, **data):
    return client.post(reverse("lead-action", args=[lead.pk, action]), data)


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    return client


STOPS = [
    ("appointment", {"at": "2026-11-25T15:30", "note": "Kommt Samstag"}),
    ("outcome", {"outcome": "reached", "note": "Rief selbst an"}),
    ("lost", {"reason": "bought elsewhere"}),
    ("opt-out", {}),
]


@pytest.mark.parametrize(("action", "data"), STOPS)
def test_a_lead_settled_by_hand_ends_the_ringing_phone_at_twilio_and_cancels_the_plan(
    lena, post_lead, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks, action, data
):
    lead = post_lead()
    call = agent_leg(lead)
    twilio_post(lena, fake_twilio, "voice-status", call, CallSid=call.sid, CallStatus="ringing")
    assert pending(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = act(lena, lead, action, **data)
    assert response.status_code in (200, 302)

    # A lost lead keeps exactly one thing planned: the BDC's recovery call days later.
    assert pending(lead) == (["recovery"] if action == "lost" else [])
    attempt = Attempt.objects.get(lead=lead, key="first_call")
    assert (attempt.status, attempt.outcome) == ("done", "stopped")
    hang_ups = [r for r in fake_twilio.requests if r.path.endswith(f"/Calls/{call.sid}.json")]
    assert [r.param("Status") for r in hang_ups] == ["completed"]

    # Twilio reports the cancelled leg; a key pressed on a phone still in someone's hand.
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(
            lena, fake_twilio, "voice-status", call, CallSid=call.sid, CallStatus="canceled"
        )
        gathered = twilio_post(
            lena, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="1"
        )

    assert "<Dial" not in gathered.content.decode()
    assert len(fake_twilio.calls_created()) == 1  # nobody else rung
    assert not Call.objects.filter(lead=lead, leg="customer").exists()
    assert lead.events.filter(kind="call", data__event="stopped").exists()


def test_the_sandbox_phone_stops_ringing_when_the_lead_is_booked(
    lena, post_lead, rep_a1, rep_a2, django_capture_on_commit_callbacks
):
    lead = post_lead()
    call = agent_leg(lead)
    assert call.status == "ringing"

    with django_capture_on_commit_callbacks(execute=True):
        act(lena, lead, "appointment", at="2026-11-25T15:30", note="Kommt Samstag")

    call.refresh_from_db()
    assert call.status == "canceled"
    assert Call.objects.filter(lead=lead, leg="agent").count() == 1
    page = lena.get(reverse("lead", args=[lead.pk])).content.decode()
    assert page.count("Ringing stopped") + page.count("Klingeln beendet") == 1
