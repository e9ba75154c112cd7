"""Database blips and killed workers: every lead rung, one call per leg, nothing stuck."""

from __future__ import annotations

import threading
import time

from django.db import connection

from followup.models import Attempt, Call
from leads.models import IntakeRecord, Lead
from tests.faults.conftest import BlackHole, wait_until

BURST = 30


def terminate_other_backends() -> int:
    """Kill every connection to this test database except this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_database_backends_killed_during_a_burst(stack, figures):
    answers: list[int] = []

    def portal() -> None:
        for n in range(BURST):
            answers.append(stack.post_lead(n).status_code)

    sender = threading.Thread(target=portal)
    started = time.monotonic()
    sender.start()
    killed = 0
    for _blip in range(3):
        time.sleep(1.5)
        killed += terminate_other_backends()
    last_blip = time.monotonic()
    sender.join(timeout=300)

    # The portal retried any 503 and got every lead in (200: a retry of a lead already stored).
    assert set(answers) <= {200, 201}
    assert Lead.objects.count() == BURST
    assert not IntakeRecord.objects.filter(outcome="pending").exists()
    recovered = figures.wait_all_rung(timeout=150)
    figures.wait_settled(timeout=120)
    per_leg = figures.calls_per_leg()
    assert set(per_leg.values()) == {1}
    # Each lead's start completed: first messages handled, cadence planned.
    assert Attempt.objects.filter(key__startswith="step:").values("lead").distinct().count() == (
        BURST
    )
    figures.report(
        "pg_terminate_backend x3 during a burst",
        backends_killed=killed,
        recover_s=round(time.monotonic() - last_blip, 1),
        rung_after_burst_s=round(recovered, 1),
        total_s=round(time.monotonic() - started, 1),
    )


def test_worker_killed_between_claim_and_create(stack, figures):
    hole = BlackHole()
    try:
        # This worker's Twilio is a black hole: it claims the leg, sends the create into the
        # void and is killed while it waits, before Twilio ever saw a request.
        stack.kill("worker")
        stack.worker_start(
            "doomed", concurrency=3, TWILIO_API_BASE_URL=hole.url, TWILIO_TIMEOUT_SECONDS="60"
        )
        for n in range(3):
            assert stack.post_lead(n).status_code == 201
        wait_until(lambda: Call.objects.filter(status="dialing").count() == 3, 60, "3 claims")
        stack.kill("doomed")
        killed_at = time.monotonic()
        assert stack.fake.calls_created() == []
        stack.worker_start()

        figures.wait_all_rung(timeout=150)
        recover = time.monotonic() - killed_at
        figures.wait_settled(timeout=90)
    finally:
        hole.close()

    assert set(figures.calls_per_leg().values()) == {1}
    assert len(stack.fake.calls_created()) == 3
    figures.report("worker SIGKILL between claim and create", recover_s=round(recover, 1))


def test_worker_killed_between_create_and_answer(stack, figures):
    # Twilio creates the calls but its answers take a minute: the worker dies waiting.
    stack.kill("worker")
    stack.fake.delay_next("Calls.json", seconds=60, times=3, method="POST")
    stack.worker_start("doomed", concurrency=3, TWILIO_TIMEOUT_SECONDS="90")
    for n in range(3):
        assert stack.post_lead(n).status_code == 201
    wait_until(lambda: len(stack.fake.calls_created()) == 3, 60, "3 creates at Twilio")
    stack.kill("doomed")
    killed_at = time.monotonic()
    stack.worker_start()

    # The phone network reports each call ringing to its leg's own callback URL, which
    # gives the leg its SID; reconciliation finds the rest by that URL. Nothing is re-dialled.
    figures.wait_all_rung(timeout=150)
    recover = time.monotonic() - killed_at
    figures.wait_settled(timeout=90)

    assert len(stack.fake.calls_created()) == 3
    assert set(figures.calls_per_leg().values()) == {1}
    assert Call.objects.exclude(sid=None).count() == 3
    figures.report("worker SIGKILL between create and answer", recover_s=round(recover, 1))
