"""The beat-driven dispatcher: hands due attempts to the workers, and is the watchdog.

Runs every 2 s. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so two
dispatchers (a beat started twice) never hand out the same row; on SQLite the transaction takes
the write lock at BEGIN (transaction_mode IMMEDIATE), which serialises them instead. Every
hand-out is still guarded by the worker's own conditional claim.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from followup import queue, sandbox, sla
from followup.models import Attempt, Call
from followup.progress import recovery_schedule
from leads.models import Lead

log = logging.getLogger(__name__)

BATCH = 200
# A queued row not claimed by now lost its message (broker restart, enqueue lost): re-send.
REQUEUE_AFTER = dt.timedelta(seconds=60)


def _enqueue_attempt(row: dict) -> None:
    # The watchdog: a first call, first message or cadence plan the intake's chain did not
    # finish is due 30 s after receipt and handed out here, each step on its own.
    if row["channel"] == Attempt.Channel.CADENCE:
        queue.enqueue(queue.SCHEDULE_CADENCE, row["lead_id"])
    elif row["channel"] == Attempt.Channel.PHONE:
        queue.enqueue(queue.RING_ATTEMPT, row["pk"])
    else:
        queue.enqueue(queue.ATTEMPT_RUN, row["pk"])


def _claim_due(now: dt.datetime) -> list[dict]:
    with transaction.atomic():
        due = Attempt.objects.filter(status=Attempt.Status.SCHEDULED, due_at__lte=now).order_by(
            "due_at"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values("pk", "key", "channel", "lead_id")[:BATCH])
        Attempt.objects.filter(
            pk__in=[r["pk"] for r in rows], status=Attempt.Status.SCHEDULED
        ).update(status=Attempt.Status.QUEUED, queued_at=now)
    return rows


def dispatch_due(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    rows = _claim_due(now)
    for row in rows:
        _enqueue_attempt(row)

    # Enqueues lost on the way to the worker: hand them out again (the claim stops doubles).
    stale = list(
        Attempt.objects.filter(
            status=Attempt.Status.QUEUED, queued_at__lte=now - REQUEUE_AFTER
        ).values("pk", "key", "channel", "lead_id")[:BATCH]
    )
    for row in stale:
        if Attempt.objects.filter(pk=row["pk"], status=Attempt.Status.QUEUED).update(queued_at=now):
            _enqueue_attempt(row)

    # Transient provider errors: the leg's retry is due.
    for pk in Call.objects.filter(status=Call.Status.PENDING, retry_at__lte=now).values_list(
        "pk", flat=True
    )[:BATCH]:
        if Call.objects.filter(pk=pk, status=Call.Status.PENDING, retry_at__lte=now).update(
            retry_at=None
        ):
            queue.enqueue(queue.RING_DIAL, pk)

    # A worker died between claiming a leg and hearing back from the provider: its outcome
    # is unknown, so reconcile with the provider instead of dialing again.
    Call.objects.filter(
        status=Call.Status.DIALING,
        parent=None,
        claimed_at__lte=now - dt.timedelta(seconds=settings.LEADFLOW_STALE_DIALING_SECONDS),
    ).update(status=Call.Status.UNKNOWN, retry_at=now)
    for pk in Call.objects.filter(status=Call.Status.UNKNOWN, retry_at__lte=now).values_list(
        "pk", flat=True
    )[:BATCH]:
        if Call.objects.filter(pk=pk, status=Call.Status.UNKNOWN, retry_at__lte=now).update(
            retry_at=now + dt.timedelta(seconds=30)
        ):
            queue.enqueue(queue.RING_RECONCILE, pk)

    # The two-minute promise: tell the managers of every lead it broke for (once per lead).
    sla.ring_alarms_raise(now=now)
    # Sandbox phones nobody plays ring out like real ones.
    sandbox.expire_rings(now=now)
    return len(rows)


def recovery_sweep(*, now: dt.datetime | None = None, window_days: int = 7) -> int:
    """Lost leads that no attempt noticed (lost after the cadence ended, or after being
    reached) still get their one BDC recovery call."""
    now = now or timezone.now()
    leads = (
        Lead.objects.filter(
            status=Lead.Status.LOST,
            is_test=False,
            opted_out_at=None,
            lost_at__gte=now - dt.timedelta(days=window_days),
        )
        .exclude(attempts__key="recovery")
        .select_related("dealer")[:BATCH]
    )
    made = 0
    for lead in leads:
        made += recovery_schedule(lead=lead) is not None
    return made
