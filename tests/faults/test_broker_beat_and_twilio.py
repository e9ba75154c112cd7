"""Broker wiped or restarted, beat down, Twilio failing, callbacks doubled and out of order,
STOP in the middle of the cadence: every lead rung, one call per leg, nothing stuck."""

from __future__ import annotations

import datetime as dt
import threading
import time

import requests
from django.utils import timezone

from followup.models import Attempt, CadenceStep, Call
from leads.models import Lead
from tests.faults.conftest import wait_until


def burst(stack, leads: range) -> threading.Thread:
    sender = threading.Thread(target=lambda: [stack.post_lead(n) for n in leads])
    sender.start()
    return sender


def test_redis_flushed_during_a_burst(stack, figures):
    sender = burst(stack, range(20))
    time.sleep(1.0)
    assert stack.redis("FLUSHALL") == "OK"
    time.sleep(1.0)
    assert stack.redis("FLUSHALL") == "OK"
    flushed = time.monotonic()
    sender.join(timeout=120)

    assert Lead.objects.count() == 20
    figures.wait_all_rung(timeout=150)
    recover = time.monotonic() - flushed
    figures.wait_settled(timeout=120)
    assert set(figures.calls_per_leg().values()) == {1}
    figures.report("Redis FLUSHALL x2 during a burst of 20", recover_s=round(recover, 1))


def test_redis_restarted_while_leads_arrive(stack, figures):
    for n in range(3):
        stack.post_lead(n)
    stack.kill("redis")
    # The broker is gone: intake still records and stores every lead (the enqueue is lost).
    for n in range(3, 8):
        assert stack.post_lead(n).status_code == 201
    time.sleep(3)
    stack.redis_start()
    restarted = time.monotonic()

    figures.wait_all_rung(timeout=150)
    recover = time.monotonic() - restarted
    figures.wait_settled(timeout=120)
    assert Lead.objects.count() == 8
    assert set(figures.calls_per_leg().values()) == {1}
    figures.report(
        "Redis killed and restarted, 5 leads during the outage", recover_s=round(recover, 1)
    )


def cadence_with_a_call_at_once(dealer) -> None:
    """A cadence whose first step (a call) is due as soon as the dealer's shortest gap between
    two calls to one customer (one minute) has passed after the first call."""
    dealer.call_gap_minutes = 1
    dealer.save(update_fields=["call_gap_minutes"])
    CadenceStep.objects.create(dealer=dealer, position=1, offset_minutes=0, channel="phone")
    CadenceStep.objects.create(dealer=dealer, position=2, day=30, channel="lost")


# Beat is down for this long (production's "minutes", shortened: what matters is that steps
# fall due while nothing dispatches them: one minute after the first calls).
BEAT_DOWN_SECONDS = 75


def test_beat_down_while_cadence_steps_fall_due(stack, figures, dealer):
    cadence_with_a_call_at_once(dealer)
    stack.kill("beat")
    down = time.monotonic()
    for n in range(4):
        assert stack.post_lead(n).status_code == 201
    # The chain needs no beat: the first calls go out and the cadence is planned.
    figures.wait_all_rung(timeout=60)
    wait_until(
        lambda: Attempt.objects.filter(key="step:1", status="scheduled").count() == 4,
        60,
        "4 step calls due and waiting",
    )
    wait_until(lambda: time.monotonic() - down > BEAT_DOWN_SECONDS, 90, "beat down", step=1)
    assert not Call.objects.filter(attempt__key="step:1").exists()
    stack.beat_start()
    restarted = time.monotonic()

    wait_until(
        lambda: Call.objects.filter(attempt__key="step:1").exclude(sid=None).count() == 4,
        90,
        "every step call made after beat came back",
    )
    recover = time.monotonic() - restarted
    figures.wait_settled(timeout=60)
    assert set(figures.calls_per_leg().values()) == {1}
    assert len(stack.fake.calls_created()) == 8  # 4 first calls + 4 step calls, no doubles
    figures.report(
        f"beat down {BEAT_DOWN_SECONDS} s while 4 step calls fell due", recover_s=round(recover, 1)
    )


def test_twilio_errors_and_timeouts(stack, figures):
    fake = stack.fake
    fake.fail_next("Calls.json", status=429, code=20429, times=2, method="POST")
    fake.fail_next("Calls.json", status=500, code=20500, times=2, method="POST")
    fake.fail_next("Calls.json", status=503, code=20503, times=1, method="POST")
    fake.fail_next("Calls.json", status=400, code=21211, message="Invalid 'To'", method="POST")
    fake.delay_next("Calls.json", seconds=8, times=2, method="POST")  # > the 5 s timeout
    started = time.monotonic()
    for n in range(8):
        assert stack.post_lead(n).status_code == 201

    figures.wait_all_rung(timeout=150)
    recover = time.monotonic() - started
    figures.wait_settled(timeout=120)
    assert set(figures.calls_per_leg().values()) == {1}
    failed = Call.objects.filter(status="failed", error__contains="21211")
    assert failed.count() == 1
    # The leg Twilio refused for good was passed on: its lead was rung by the next person.
    assert Call.objects.filter(lead=failed.get().lead).exclude(sid=None).exists()
    figures.report(
        "Twilio 429x2, 500x2, 503, 21211, 2 read timeouts over 8 leads",
        recover_s=round(recover, 1),
        legs_failed_permanently=1,
    )


def test_duplicate_out_of_order_and_forged_callbacks(stack, figures):
    stack.post_lead(0)
    figures.wait_all_rung(timeout=60)
    stack.network.paused.set()
    first = Call.objects.get(leg="agent", seq=1)
    status_url = f"{stack.public_url}/twilio/voice/{first.pk}/status/"

    forged = requests.post(
        status_url,
        data={"CallSid": first.sid, "CallStatus": "completed"},
        headers={"X-Twilio-Signature": "forged"},
        timeout=30,
    )
    assert forged.status_code == 403
    for _duplicate in range(3):
        stack.twilio_callback(
            status_url, CallSid=first.sid, CallStatus="no-answer", CallDuration="0"
        )
    # Late arrivals of earlier statuses change nothing.
    stack.twilio_callback(status_url, CallSid=first.sid, CallStatus="ringing")
    stack.twilio_callback(status_url, CallSid=first.sid, CallStatus="in-progress")

    wait_until(lambda: len(stack.fake.calls_created()) == 2, 60, "the next salesperson rung")
    second = Call.objects.get(leg="agent", seq=2)
    wait_until(lambda: Call.objects.get(pk=second.pk).sid, 30, "second leg placed")
    second.refresh_from_db()
    second_url = f"{stack.public_url}/twilio/voice/{second.pk}/status/"
    stack.twilio_callback(second_url, CallSid=second.sid, CallStatus="busy")
    stack.twilio_callback(second_url, CallSid=second.sid, CallStatus="busy")
    wait_until(lambda: len(stack.fake.calls_created()) == 3, 60, "the BDC rung")
    time.sleep(3)  # any double escalation would have been dialled by now

    first.refresh_from_db()
    assert first.status == "no-answer"
    assert len(stack.fake.calls_created()) == 3  # Lena, Jonas, BDC: once each
    assert set(figures.calls_per_leg().values()) == {1}
    lead = Lead.objects.get()
    assert lead.events.filter(kind="call", data__event="escalated").count() == 2
    figures.report("forged, 3x duplicate and out-of-order status callbacks", escalations=2)


def test_stop_mid_cadence_sends_nothing_afterwards(stack, figures, dealer):
    CadenceStep.objects.create(dealer=dealer, position=1, offset_minutes=15, channel="whatsapp")
    CadenceStep.objects.create(dealer=dealer, position=2, offset_minutes=20, channel="phone")
    stack.post_lead(0, consent={"phone": True, "email": True, "whatsapp": True})
    figures.wait_all_rung(timeout=60)
    lead = Lead.objects.get()
    wait_until(
        lambda: Attempt.objects.filter(lead=lead, key__startswith="step:").count() == 2,
        60,
        "the cadence planned",
    )
    # The next steps fall due a few seconds after the STOP (instead of in 15 minutes).
    soon = timezone.now() + dt.timedelta(seconds=5)
    Attempt.objects.filter(lead=lead, key__startswith="step:").update(due_at=soon)

    inbound = f"{stack.public_url}/twilio/messages/inbound/"
    answer = stack.twilio_callback(
        inbound,
        From=f"whatsapp:{lead.phone}",
        To=f"whatsapp:{dealer.whatsapp_sender}",
        Body="STOP",
        MessageSid="SM" + "0" * 32,
    )
    assert answer.status_code == 200
    stopped_at = time.time()
    lead.refresh_from_db()
    assert lead.opted_out_at is not None
    # At once, not when each falls due: nothing planned is left.
    assert not Attempt.objects.filter(lead=lead, status__in=["scheduled", "queued"]).exists()

    # Past the steps' due time and several dispatcher runs: nothing went out after the STOP.
    time.sleep(15)
    after = [r for r in stack.fake.requests if r.at > stopped_at and r.created]
    assert after == []
    assert not Call.objects.filter(lead=lead, status__in=["pending", "dialing", "unknown"]).exists()
    figures.report(
        "STOP by WhatsApp mid-cadence (lead-level opt-out)",
        sent_after_stop=len(after),
        pending_after_stop=0,
    )
