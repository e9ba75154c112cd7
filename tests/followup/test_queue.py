from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

import followup
from followup import queue
from leadflow.celery import app as celery_app

FOLLOWUP = Path(followup.__file__).parent


def test_every_name_the_queue_sends_is_a_registered_task():
    missing = [name for name in queue.TASK_NAMES if name not in celery_app.tasks]
    assert missing == []


def test_every_followup_task_can_be_sent_through_the_queue():
    # A task nobody can reach through followup.queue is either beat-only (listed in the
    # schedule) or dead.
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    ours = {name for name in celery_app.tasks if name.startswith("followup.")}
    assert ours - set(queue.TASK_NAMES) - scheduled == set()


def test_ringing_tasks_go_to_the_ring_queue():
    router = celery_app.amqp.router
    for name in (queue.RING_ATTEMPT, queue.RING_DIAL, queue.RING_RECONCILE, queue.RING_HANG_UP):
        assert router.route({}, name)["queue"].name == "ring"
    assert router.route({}, queue.MESSAGE_SEND)["queue"].name == "default"


def _sends_work(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in SENDING:
            return True
        if isinstance(node, ast.ImportFrom) and (
            (node.module or "").endswith("tasks") or any(a.name == "tasks" for a in node.names)
        ):
            return True
    return False


SENDING = {"delay", "apply_async", "delay_on_commit", "send_task", "si", "s"}


def test_no_module_sends_work_or_imports_tasks_but_the_queue():
    senders = [
        str(path.relative_to(FOLLOWUP))
        for path in sorted(FOLLOWUP.rglob("*.py"))
        if path.name != "queue.py" and _sends_work(path)
    ]
    assert senders == []


@pytest.mark.django_db
def test_work_is_sent_only_once_the_transaction_commits(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(queue, "enqueue", lambda name, *args, **options: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        queue.enqueue_on_commit(queue.MESSAGE_SEND, 123)
        assert sent == []
    assert sent == [(queue.MESSAGE_SEND, (123,))]
