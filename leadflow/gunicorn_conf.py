"""gunicorn's settings for `make serve` (Procfile) and the container image."""

from __future__ import annotations

import os

bind = f"{os.environ.get('LEADFLOW_BIND', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Sync workers: a request is a few database round trips. Two cores served ~200 leads/s with 2.
workers = int(os.environ.get("WEB_CONCURRENCY", "") or (os.cpu_count() or 1) + 1)
timeout = 30
graceful_timeout = 25
# gunicorn 25+'s control socket is one path per user (~/.gunicorn): two instances on one machine
# would take each other's. Nothing here uses it.
control_socket_disable = True
# LeadFlow logs each request itself, as one structured event with its request id.
accesslog = None
# Should someone turn the access log on: tokens in URLs are masked (Meta's verify token, ...).
logger_class = "leadflow.lib.log_masking.GunicornLogger"
if os.environ.get("LOG_FORMAT", "json") == "json" and os.environ.get("DEBUG", "0") in ("0", ""):
    # gunicorn's own lines (start, worker boot, timeouts) as the same JSON events as Django's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "leadflow.lib.logcontext.LogContextFilter"},
            "personal_data": {"()": "leadflow.lib.logmask.PersonalDataFilter"},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["context", "personal_data"],
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False}
        },
    }
# X-Forwarded-Proto from the TLS proxy in front (on this machine by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def child_exit(server, worker) -> None:
    # Metrics are kept per process in PROMETHEUS_MULTIPROC_DIR; a dead worker's live gauges go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
