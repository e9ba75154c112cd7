from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from followup.sla import late_lead_count
from leadflow.celery import app as celery_app


def _database_ok() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ok() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _ring_sla() -> int | None:
    """Leads not rung within two minutes in the last hour (None: the database did not say)."""
    try:
        return late_lead_count()
    except Exception:
        return None


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body: dict[str, object] = {
        name: ("ok" if error is None else error) for name, error in checks.items()
    }
    healthy = all(error is None for error in checks.values())
    body["status"] = "ok" if healthy else "fail"
    # Broken promises are for alerting on, not a reason to take this instance out of service:
    # the status code stays about the dependencies.
    body["ring_sla"] = _ring_sla() if checks["database"] is None else None
    return JsonResponse(body, status=200 if healthy else 503)
