"""Portal formats in, LeadFlow's own lead dict out.

Every adapter turns what a portal sent into the *canonical lead dict* — the JSON shape documented
in docs/webhooks.md — and nothing else. Validation (phone numbers, channels, required contact
details) happens once, afterwards, in ``leads.intake.validation``, so every portal gets the same rules
and the same per-field errors.

Canonical lead dict (all keys optional unless noted; unknown keys are carried along untouched)::

    {
      "source": "website",                 # short portal name; the view may fill it in
      "external_id": "web-10293",          # the portal's id for the lead; dedup key with source
      "received_at": "2026-11-23T10:04:00+01:00",
      "customer": {"first_name", "last_name", "email", "phone",
                   "preferred_channel": "phone|email|whatsapp", "language",
                   "postal_code", "address"},
      "vehicle": {"make", "model", "trim", "year", "condition": "new|used",
                  "stock_number", "vin", "price"},
      "message": "…",
      "consent": {"phone": bool, "email": bool, "whatsapp": bool},
      "is_test": bool,
    }

Parsers raise ``PayloadError`` for bodies they cannot read at all (400); a body that reads fine
but has bad values is the validator's business (422).
"""

from __future__ import annotations

from typing import Any


class PayloadError(Exception):
    """The body cannot be read as the format it claims to be (HTTP 400)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def as_text(value: Any) -> str:
    """A JSON scalar as text ("" for objects, lists, booleans and null)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
