"""The one place the follow-up engine hands work to Celery: by task name, after commit.

Nothing imports a tasks module to send work (the shape of Zulip's ``queue_event_on_commit``):
the services the tasks call import this module instead, so tasks and services never import
each other. The names below are the tasks' registered names; queued messages in production
carry them, so a name never changes. Routing is by name too (``followup.ring.*`` goes to the
"ring" queue, ``CELERY_TASK_ROUTES``).

``enqueue_on_commit`` is for callers inside a transaction: a worker must never look for a row
that is not committed yet, nor act for one that was rolled back. ``enqueue`` sends at once, for
callers that run outside any transaction (the dispatcher, beat sweeps, after-commit callbacks).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import chain
from celery.canvas import Signature
from django.db import transaction

from leadflow.celery import app

log = logging.getLogger(__name__)

RING_ATTEMPT = "followup.ring.attempt"
RING_DIAL = "followup.ring.dial"
RING_RECONCILE = "followup.ring.reconcile"
RING_HANG_UP = "followup.ring.hang_up"
FIRST_MESSAGES = "followup.messages.first"
SCHEDULE_CADENCE = "followup.schedule"
ATTEMPT_RUN = "followup.attempt.run"
ALARM_NOTIFY = "followup.alarm.notify"
MESSAGE_SEND = "followup.messages.send"
REPLY_NOTIFY = "followup.messages.notify_reply"
PUSH_NOTIFY = "followup.push.notify"
BOOKING_NOTIFY = "followup.booking.notify"
WHATSAPP_TEMPLATES_SYNC = "followup.whatsapp.sync_templates"

TASK_NAMES = (
    RING_ATTEMPT,
    RING_DIAL,
    RING_RECONCILE,
    RING_HANG_UP,
    FIRST_MESSAGES,
    SCHEDULE_CADENCE,
    ATTEMPT_RUN,
    ALARM_NOTIFY,
    MESSAGE_SEND,
    REPLY_NOTIFY,
    PUSH_NOTIFY,
    BOOKING_NOTIFY,
    WHATSAPP_TEMPLATES_SYNC,
)


def _task(name: str, *args: object) -> Signature:
    return app.signature(name, args=args, immutable=True)


def _send(signature: Signature, *, countdown: float | None, recoverable: bool) -> None:
    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    try:
        signature.apply_async(**options)
    except Exception:
        if not recoverable or app.conf.task_always_eager:
            raise
        # The work is a committed row: the dispatcher's sweep finds it and sends it later.
        log.warning("enqueue of %s lost; the dispatcher will hand it out", signature.task)


def enqueue(
    name: str, *args: object, countdown: float | None = None, recoverable: bool = False
) -> None:
    """Send the task ``name`` now. ``recoverable``: its work is a committed row a sweep hands
    out again, so a broker that refuses it is logged instead of failing the caller."""
    _send(_task(name, *args), countdown=countdown, recoverable=recoverable)


def enqueue_on_commit(
    name: str, *args: object, countdown: float | None = None, recoverable: bool = False
) -> None:
    """Send the task ``name`` once the caller's transaction commits (at once outside one)."""
    transaction.on_commit(
        partial(enqueue, name, *args, countdown=countdown, recoverable=recoverable)
    )


def lead_start_on_commit(*, attempt_id: int, lead_id: int, repeat: bool) -> None:
    """Ring → first messages → plan the cadence: the fast path, one chain of id-taking tasks.

    Each step is also a row the dispatcher completes if the chain breaks
    (``followup.services.first_call_create``), so a lost enqueue is only logged.
    """
    if repeat:
        # The customer asked again: ring again; the cadence already exists, and planning it
        # only logs that the follow-up restarted for this inquiry.
        steps = chain(_task(RING_ATTEMPT, attempt_id), _task(SCHEDULE_CADENCE, lead_id))
    else:
        steps = chain(
            _task(RING_ATTEMPT, attempt_id),
            _task(FIRST_MESSAGES, lead_id),
            _task(SCHEDULE_CADENCE, lead_id),
        )
    transaction.on_commit(partial(_send, steps, countdown=None, recoverable=True))


def push_on_commit(*, lead_id: int, kind: str) -> None:
    """A push notice about the lead once the change commits; lost with the broker, since the
    phone call and the queue carry the same news (push is the second alarm)."""
    enqueue_on_commit(PUSH_NOTIFY, lead_id, kind, recoverable=True)
