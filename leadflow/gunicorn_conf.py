"""gunicorn's settings for `make serve` (Procfile) and the container image."""

from __future__ import annotations

import os

bind = f"{os.environ.get('LEADFLOW_BIND', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Sync workers: a request is a few database round trips. Two cores served ~200 leads/s with 2.
workers = int(os.environ.get("WEB_CONCURRENCY", "") or (os.cpu_count() or 1) + 1)
timeout = 30
graceful_timeout = 25
# LeadFlow logs each request itself, as one structured event with its request id.
accesslog = None
# X-Forwarded-Proto from the TLS proxy in front (on this machine by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def child_exit(server, worker) -> None:
    # Metrics are kept per process in PROMETHEUS_MULTIPROC_DIR; a dead worker's live gauges go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
