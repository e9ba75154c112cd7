from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from followup.sla import late_lead_count
from leadflow.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        return False
    return True


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.exception("healthz: broker check failed")
        return False
    return True


def _ring_sla() -> int | None:
    """Leads not rung within two minutes in the last hour (None: the database did not say)."""
    try:
        return late_lead_count()
    except Exception:
        return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Names the failing dependency, never its error: a driver's message carries host names,
    ports and user names, and /healthz answers anyone. The log has the details."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body: dict[str, object] = {name: ("ok" if ok else "fail") for name, ok in checks.items()}
    healthy = all(checks.values())
    body["status"] = "ok" if healthy else "fail"
    # Broken promises are for alerting on, not a reason to take this instance out of service:
    # the status code stays about the dependencies.
    body["ring_sla"] = _ring_sla() if checks["database"] else None
    return JsonResponse(body, status=200 if healthy else 503)
