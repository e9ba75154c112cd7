"""Prometheus metrics that processes observe as things happen (web and workers alike).

Under `make serve` (and any gunicorn/Celery deployment that sets PROMETHEUS_MULTIPROC_DIR)
every process writes its samples to files in that directory and /metrics adds them up, so a
counter bumped in a Celery child and one bumped in a gunicorn worker land in one series.
State that lives in the database (late leads, due attempts, queue depths) is not counted
here: /metrics reads it at scrape time (leadflow/monitoring.py), which is right by
construction however many processes run.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INTAKE_REQUESTS = Counter(
    "leadflow_intake_requests",
    "Webhook requests answered, by endpoint and outcome.",
    ["endpoint", "outcome"],
)
INTAKE_SECONDS = Histogram(
    "leadflow_intake_seconds",
    "Webhook response time, by endpoint and outcome.",
    ["endpoint", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FIRST_RING_SECONDS = Histogram(
    "leadflow_first_ring_seconds",
    "Lead received (or its first call due, after hours) until a salesperson's phone first rang.",
    buckets=(2, 5, 10, 15, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600),
)
PROVIDER_ERRORS = Counter(
    "leadflow_provider_errors",
    "Failed provider requests and failed deliveries, by provider, channel, kind and code.",
    ["provider", "channel", "kind", "code"],
)
MESSAGES = Counter(
    "leadflow_messages",
    "Outbound messages reaching a status, by channel and status.",
    ["channel", "status"],
)


def intake_outcome(status_code: int) -> str:
    """The webhook's outcome as its answer tells it (the IntakeRecord keeps the detail)."""
    if status_code == 201:
        return "created"
    if status_code < 300:
        return "accepted"
    if status_code in (401, 403, 404):
        return "refused"
    if status_code < 500:
        return "rejected"
    return "failed"
