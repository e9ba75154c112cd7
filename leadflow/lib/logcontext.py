"""Who a log line is about: request id, lead and dealer, carried in context variables.

The request middleware and Celery's task signals set them; code that learns the lead or dealer
on the way (intake) adds them with ``log_context_bind``. ``LogContextFilter`` copies them onto
every record, so the JSON formatter writes them as fields of the one line.
"""

from __future__ import annotations

import logging
import os
from contextvars import ContextVar
from typing import Any

_context: ContextVar[dict[str, Any] | None] = ContextVar("leadflow_log_context", default=None)
FIELDS = ("request_id", "task_id", "task", "lead_id", "dealer")
# Which process of the Procfile wrote the line (web, ring, worker, beat).
PROCESS = os.environ.get("LEADFLOW_PROCESS", "")


def log_context_start(**values: Any) -> None:
    """A fresh context for a new request or task (nothing carried over from the last one)."""
    _context.set({k: v for k, v in values.items() if v not in (None, "")})


def log_context_bind(**values: Any) -> None:
    current = dict(_context.get() or {})
    current.update({k: v for k, v in values.items() if v not in (None, "")})
    _context.set(current)


def log_context() -> dict[str, Any]:
    return dict(_context.get() or {})


def log_context_clear() -> None:
    _context.set(None)


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = _context.get() or {}
        for name in FIELDS:
            if not hasattr(record, name) and name in current:
                setattr(record, name, current[name])
        if PROCESS and not hasattr(record, "process_name"):
            record.process_name = PROCESS
        return True
