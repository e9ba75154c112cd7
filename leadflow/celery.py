from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from leadflow.lib import filebroker
from leadflow.lib.logcontext import log_context_bind, log_context_clear, log_context_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
# `filesystem://` (the embedded broker) writes each message atomically; see filebroker.
filebroker.install()

app = Celery("leadflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the DB connection after every task unless this is set; reusing
# it made one-UPDATE tasks ~6x faster. Reuse also skips every check Django makes at a request's
# start, so ``connections_heal`` below makes them before each task instead.
app.conf.CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
app.autodiscover_tasks()


@task_prerun.connect
def _log_context_for_task(task_id=None, task=None, kwargs=None, **_extra) -> None:
    # Every line a task logs names the task (and its lead, when the task takes one by name).
    values = {"task_id": task_id, "task": getattr(task, "name", None)}
    if isinstance(kwargs, dict) and isinstance(kwargs.get("lead_id"), int):
        values["lead_id"] = kwargs["lead_id"]
    if task is not None and task.request.is_eager:
        # Run inside a request (tests, eager mode): keep the request's own context.
        log_context_bind(**values)
    else:
        log_context_start(**values)


@task_postrun.connect
def _log_context_done(task=None, **_extra) -> None:
    if task is None or not task.request.is_eager:
        log_context_clear()


@task_prerun.connect(dispatch_uid="leadflow.connections_heal", weak=False)
def connections_heal(sender=None, task=None, **kwargs) -> None:
    """Start every task on a usable database connection, as Django starts every request.

    After PostgreSQL restarted, failed over or killed our backend, a reused connection is
    dead: without this the worker fails task after task with "connection lost" until it is
    restarted. ``close_if_unusable_or_obsolete`` drops a connection that saw an error and no
    longer answers, or outlived CONN_MAX_AGE, and re-arms CONN_HEALTH_CHECKS so the task's
    first query pings an idle connection and reconnects if the ping fails.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        # An eager task runs inside its caller (a request, a test's transaction): the caller
        # owns the connection, and closing it here would break the caller's transaction.
        return
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
