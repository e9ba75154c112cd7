"""Who a person is, without keeping who they are: keyed hashes of their phone and email.

The suppression list must outlive the lead (an erased customer stays opted out), so it cannot
hold the number or address itself. It holds HMAC-SHA256 under ``settings.LEADFLOW_PERSON_KEY``
of the normalised identifier: E.164 for phone numbers (parsed in the dealer's country), the
trimmed, lower-cased address for email. Without the key a hash cannot be reversed by trying
every phone number, which a plain digest could.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings

from dealers.models import Dealer
from leads.phones import normalize_phone


def normalise_phone(phone: str, *, region: str) -> str:
    """E.164 for anything libphonenumber understands; otherwise "+" and the digits, so even a
    number a portal mangled is suppressed the same way every time it comes back."""
    text = (phone or "").strip()
    if not text:
        return ""
    try:
        return normalize_phone(text, region)
    except ValueError:
        digits = re.sub(r"\D", "", text)
        return f"+{digits}" if digits else ""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _digest(kind: str, value: str) -> str:
    key = settings.LEADFLOW_PERSON_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PersonKey:
    """The keyed hashes of one person's phone and email ("" where unknown)."""

    phone_hash: str = ""
    email_hash: str = ""

    @property
    def hashes(self) -> list[str]:
        return [h for h in (self.phone_hash, self.email_hash) if h]

    def __bool__(self) -> bool:
        return bool(self.phone_hash or self.email_hash)


def person_key(*, dealer: Dealer, phone: str | None = None, email: str | None = None) -> PersonKey:
    """The person key of a phone number and/or email at ``dealer`` (raw or normalised input)."""
    e164 = normalise_phone(phone or "", region=dealer.country or "DE")
    address = normalise_email(email or "")
    return PersonKey(
        phone_hash=_digest("phone", e164) if e164 else "",
        email_hash=_digest("email", address) if address else "",
    )
