"""A worker whose database connection was killed starts its next task on a fresh one."""

from __future__ import annotations

import pytest
from celery import shared_task
from celery.signals import task_postrun
from django.db import connection

from followup.models import Attempt

SEEN: list[object] = []


@shared_task(name="tests.backend_pid")
def backend_pid() -> int:
    # A query through the ORM, as every real task starts.
    Attempt.objects.exists()
    return connection.connection.info.backend_pid


def _record(sender=None, retval=None, state=None, **kwargs) -> None:
    if sender is not None and sender.name == "tests.backend_pid":
        SEEN.append((state, retval))


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_task_after_the_database_killed_the_workers_connection_succeeds(
    celery_worker, tasks_done
):
    if connection.vendor != "postgresql":
        pytest.skip("terminating a backend needs PostgreSQL (SQLite has no server to kill it)")
    SEEN.clear()
    task_postrun.connect(_record, weak=False)
    try:
        backend_pid.delay()
        assert tasks_done.wait_for("tests.backend_pid", 1)
        [(state, first_pid)] = SEEN
        assert state == "SUCCESS"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [first_pid])

        backend_pid.delay()
        backend_pid.delay()
        assert tasks_done.wait_for("tests.backend_pid", 3)
    finally:
        task_postrun.disconnect(_record)

    assert [state for state, _pid in SEEN] == ["SUCCESS"] * 3
    assert SEEN[1][1] != first_pid
