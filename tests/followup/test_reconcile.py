"""Reconciliation finds its own call at Twilio, never another leg's, and always ends."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from followup.dispatch import dispatch_due
from followup.models import Attempt, Call
from followup.twilio_client import twilio_client
from tests.followup.conftest import PUBLIC


def dead_worker_leg(lead, rep) -> Call:
    """A worker claimed the first call and its leg, then died before hearing from Twilio."""
    attempt = Attempt.objects.get(lead=lead, key="first_call")
    attempt.claim()
    return Call.objects.create(
        dealer=lead.dealer,
        lead=lead,
        attempt=attempt,
        seq=1,
        salesperson=rep,
        to=rep.phone,
        from_number=lead.dealer.caller_id,
        provider="twilio",
        status="dialing",
        claimed_at=timezone.now(),
    )


def another_leads_call_to(rep, dealer) -> str:
    """A call to the same salesperson from the same number, for another leg."""
    return (
        twilio_client()
        .calls.create(
            to=rep.phone,
            from_=dealer.caller_id,
            url=f"{PUBLIC}/twilio/voice/999999/answer/",
            status_callback=PUBLIC + reverse("followup:voice-status", args=[999999]),
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        .sid
    )


def run_dispatcher_for(seconds: int, step: int = 5) -> None:
    start = timezone.now()
    for offset in range(0, seconds + 1, step):
        with time_machine.travel(start + dt.timedelta(seconds=offset), tick=False):
            dispatch_due()


def test_another_legs_call_to_the_same_salesperson_is_never_adopted(
    post_lead, rep_a1, fake_twilio, django_capture_on_commit_callbacks
):
    lead = post_lead(execute=False)
    call = dead_worker_leg(lead, rep_a1)
    other = another_leads_call_to(rep_a1, lead.dealer)

    with django_capture_on_commit_callbacks(execute=True):
        run_dispatcher_for(60)

    call.refresh_from_db()
    # The other call names another leg's URL: not this leg's, so this leg dials its own.
    assert call.sid not in (None, other)
    assert call.status == "queued"
    created = fake_twilio.calls_created()
    assert [r.sid for r in created] == [other, call.sid]
    urls = [r.param("StatusCallback") for r in created]
    assert len(set(urls)) == 2  # one call per leg


def test_an_unprovable_call_ends_the_leg_after_bounded_checks_and_rings_the_next(
    post_lead, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks
):
    lead = post_lead(execute=False)
    call = dead_worker_leg(lead, rep_a1)
    # A call to the same phone that made no request yet: it might be this leg's, or not.
    twilio_client().calls.create(
        to=rep_a1.phone, from_=lead.dealer.caller_id, url=f"{PUBLIC}/twilio/voice/0/answer/"
    )

    with django_capture_on_commit_callbacks(execute=True):
        run_dispatcher_for(60 + 120)

    call.refresh_from_db()
    assert call.status == "failed"
    assert "could not confirm" in call.error
    assert 1 <= call.checks <= 4
    to_numbers = [r.param("To") for r in fake_twilio.calls_created()]
    assert to_numbers == [rep_a1.phone, rep_a2.phone]  # never dialled twice; the next rung
    assert lead.events.filter(kind="call", data__event="given up").exists()
    assert not Call.objects.filter(lead=lead, status__in=["unknown", "dialing"]).exists()


def test_the_legs_own_call_is_found_by_its_callback_url_among_others(
    post_lead, rep_a1, fake_twilio
):
    lead = post_lead(execute=False)
    call = dead_worker_leg(lead, rep_a1)
    another_leads_call_to(rep_a1, lead.dealer)
    own = (
        twilio_client()
        .calls.create(
            to=rep_a1.phone,
            from_=lead.dealer.caller_id,
            url=f"{PUBLIC}/twilio/voice/{call.pk}/answer/",
            status_callback=PUBLIC + reverse("followup:voice-status", args=[call.pk]),
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        .sid
    )
    another_leads_call_to(rep_a1, lead.dealer)

    run_dispatcher_for(60)

    call.refresh_from_db()
    assert (call.sid, call.status) == (own, "queued")
    assert len(fake_twilio.calls_created()) == 3  # nothing dialled again
    assert lead.events.filter(kind="call", data__event="adopted").exists()


def test_twilio_unreachable_while_reconciling_still_ends_the_leg(
    post_lead, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks
):
    lead = post_lead(execute=False)
    call = dead_worker_leg(lead, rep_a1)
    fake_twilio.fail_next("Calls.json", status=500, times=50, method="GET")

    with django_capture_on_commit_callbacks(execute=True):
        run_dispatcher_for(60 + 120)

    call.refresh_from_db()
    assert call.status in ("failed", "queued")
    assert not Call.objects.filter(lead=lead, status__in=["unknown", "dialing"]).exists()
