"""Sandbox phones behave like real ones: a key pressed while the customer is on the line ends
the call cleanly, and rings nobody plays time out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from followup.dispatch import dispatch_due
from followup.models import Attempt, Call
from tests.followup.conftest import agent_leg


def press(client, call: Call, action: str, **data):
    return client.post(reverse("followup:sandbox-act", args=[call.pk, action]), data)


@pytest.fixture
def lena(client, rep_a1):
    client.force_login(rep_a1.user)
    client.cookies["django_language"] = "en"
    return client


def connect(client, lead) -> tuple[Call, Call]:
    agent = agent_leg(lead)
    press(client, agent, "answer")
    press(client, agent, "press-1")
    customer = Call.objects.get(parent=agent)
    press(client, customer, "answer")
    return agent, customer


def live(lead) -> list[Call]:
    return list(Call.objects.filter(lead=lead).exclude(status__in=Call.TERMINAL))


def test_pressing_2_after_the_customer_talked_long_enough_ends_the_call_and_counts_reached(
    post_lead, rep_a1, lena, django_capture_on_commit_callbacks
):
    lead = post_lead()
    agent, customer = connect(lena, lead)

    with (
        time_machine.travel(timezone.now() + dt.timedelta(seconds=40)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        press(lena, agent, "press-2")

    assert live(lead) == []  # nobody left on the line
    customer.refresh_from_db()
    assert (customer.status, customer.duration >= 40) == ("completed", True)
    lead.refresh_from_db()
    assert lead.status == "reached"
    # Nobody else is rung: the salesperson did talk to the customer.
    assert Call.objects.filter(lead=lead, leg="agent").count() == 1


def test_pressing_2_right_after_connecting_ends_cleanly_without_reached(
    post_lead, rep_a1, lena, django_capture_on_commit_callbacks
):
    lead = post_lead()
    agent, customer = connect(lena, lead)

    with django_capture_on_commit_callbacks(execute=True):
        press(lena, agent, "press-2")

    assert live(lead) == []
    lead.refresh_from_db()
    assert lead.status == "contacting"
    assert Attempt.objects.get(lead=lead, key="first_call").outcome == "customer completed"


def test_while_connected_the_salespersons_phone_offers_only_hang_up(post_lead, rep_a1, lena):
    lead = post_lead()
    agent, _customer = connect(lena, lead)

    page = lena.get("/sandbox/", HTTP_HX_REQUEST="true").content.decode()

    agent_card = page[: page.index("Customer's phone")] if "Customer's phone" in page else page
    assert "Hang up" in page
    assert f"/sandbox/calls/{agent.pk}/press-2/" not in page
    assert "2 · next salesperson" not in agent_card


def test_a_sandbox_ring_nobody_answers_times_out_and_the_next_salesperson_is_rung(
    post_lead, rep_a1, rep_a2, django_capture_on_commit_callbacks
):
    lead = post_lead()
    first = agent_leg(lead)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due(now=timezone.now() + dt.timedelta(seconds=10))
    assert Call.objects.get(pk=first.pk).status == "ringing"

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due(now=timezone.now() + dt.timedelta(seconds=21))

    assert Call.objects.get(pk=first.pk).status == "no-answer"
    assert agent_leg(lead, 1).salesperson == rep_a2
    assert agent_leg(lead, 1).status == "ringing"


def test_a_customer_ring_nobody_answers_times_out(
    post_lead, rep_a1, lena, django_capture_on_commit_callbacks
):
    lead = post_lead()
    agent = agent_leg(lead)
    press(lena, agent, "answer")
    press(lena, agent, "press-1")
    customer = Call.objects.get(parent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due(now=timezone.now() + dt.timedelta(seconds=31))

    assert live(lead) == []
    assert Call.objects.get(pk=customer.pk).status == "no-answer"
    assert Attempt.objects.get(lead=lead, key="first_call").outcome == "customer no-answer"


def test_a_whisper_nobody_answers_with_a_key_passes_the_lead_on(
    post_lead, rep_a1, rep_a2, lena, django_capture_on_commit_callbacks
):
    lead = post_lead()
    first = agent_leg(lead)
    press(lena, first, "answer")

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due(now=timezone.now() + dt.timedelta(seconds=60))

    assert Call.objects.get(pk=first.pk).status == "completed"
    assert agent_leg(lead, 1).salesperson == rep_a2
