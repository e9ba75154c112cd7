"""No personal data in logs: phone numbers, email addresses and customers' texts are masked.

``PersonalDataFilter`` sits on every handler in ``settings.LOGGING``, so whatever a module (or a
library: Celery, Django, twilio) writes passes through it after %-formatting, tracebacks
included. Phone numbers and addresses are recognised by their shape; free text (a customer's
message, a note) has no shape, so code that must mention one wraps it in ``private()`` and the
filter writes only its length. Values under the keys in ``TEXT_KEYS`` of a dict argument are
treated the same way.
"""

from __future__ import annotations

import logging
import re
from typing import Any

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of 7 to 15 digits (ITU's maximum) in any of the ways people and portals write phone
# numbers: +49 171 1234567, 0171/1234567, (0171) 123-4567, 004917112345 67, whatsapp:+49...
# It must not sit inside a word or follow a dash, so Twilio SIDs and UUIDs are left alone.
PHONE = re.compile(r"(?<![\w+-])(?:\+|00)?\(?\d(?:[\s\-/.()]{0,2}\d){6,14}(?![\w])")
# Shapes that look like digit runs but are not phone numbers: dates, times, decimals.
NOT_A_PHONE = re.compile(
    r"^\d{4}-\d{2}-\d{2}|^\d{1,2}:\d{2}|^\d+\.\d+$|^\d{1,2}\.\d{1,2}\.\d{2,4}$"
)
TEXT_KEYS = frozenset(
    {"text", "body", "message", "note", "first_name", "last_name", "email", "phone"}
)


class private(str):  # noqa: N801 - used like a marker function: log.info("%s", private(text))
    """A customer's free text: logged as its length only."""

    __slots__ = ()


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    if NOT_A_PHONE.match(found.strip("()")):
        return found
    # A bare run of up to nine digits without a leading 0 or + is a row id (intake 1234567),
    # not a number anyone dials: numbers are written with a prefix, separators or ten digits.
    if found.isdigit() and len(found) < 10 and not found.startswith("0"):
        return found
    return "<phone>"


def mask(text: str) -> str:
    if not text:
        return text
    if "@" in text:
        text = EMAIL.sub("<email>", text)
    return PHONE.sub(_phone, text)


def _masked_arg(value: Any) -> Any:
    if isinstance(value, private):
        return f"<text: {len(value)} chars>"
    if isinstance(value, dict):
        return {
            key: (f"<{key}>" if key in TEXT_KEYS and value[key] else _masked_arg(value[key]))
            for key in value
        }
    return value


class PersonalDataFilter(logging.Filter):
    """Masks a record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            args = record.args
            if isinstance(args, tuple):
                args = tuple(_masked_arg(a) for a in args)
            elif isinstance(args, dict):
                args = _masked_arg(args)
            message = str(record.msg) % args if args else str(record.msg)
        except Exception:  # a broken format string must still be logged, masked
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
