"""Tokens never reach a log: query-string secrets and secret path segments are masked.

Meta's subscription check carries ``hub.verify_token`` in the query string; unsubscribe and
password-reset links carry their token in the path. Access logs (gunicorn's, runserver's) and
Django's own request warnings print both.
"""

from __future__ import annotations

import logging
import re

from gunicorn import glogging

MASK = "***"
_PATTERNS = [
    (
        re.compile(
            r"((?:hub\.verify_token|hub%2Everify_token|access_token|token|google_key|key)=)"
            r"[^&\s\"']*",
            re.I,
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(/u/)[^/\s\"'?]+"), r"\1" + MASK),
    (re.compile(r"(/accounts/reset/)[^/\s\"'?]+/[^/\s\"'?]+"), r"\1" + MASK + "/" + MASK),
]


def mask(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's access log with tokens masked (gunicorn.conf.py: logger_class)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask(atoms[key])
        return atoms
