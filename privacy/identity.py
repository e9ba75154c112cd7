"""Who a person is, for erasure and export: a normalised phone number and/or email address."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.utils.crypto import salted_hmac

from dealers.models import Dealer
from leads.phones import normalize_phone


class PersonUnknown(ValueError):
    """Neither a usable phone number nor an email address was given."""


@dataclass(frozen=True)
class Person:
    phone: str  # E.164 or ""
    email: str  # lower case or ""
    # Further numbers and addresses the person's leads carry (found by the one given).
    also: tuple[str, ...] = ()

    def widened(self, values: list[tuple[str, str]]) -> Person:
        """The same person with every phone number and address their leads gave."""
        known = {self.phone, self.email}
        extra = sorted({v for pair in values for v in pair if v and v not in known})
        return Person(phone=self.phone, email=self.email, also=tuple(extra))

    @property
    def phones(self) -> list[str]:
        return [v for v in (self.phone, *self.also) if v and "@" not in v]

    @property
    def emails(self) -> list[str]:
        return [v for v in (self.email, *self.also) if v and "@" in v]

    @classmethod
    def of(cls, *, dealer: Dealer, phone: str | None, email: str | None) -> Person:
        """Raises PersonUnknown (with the reason) when nothing identifies a person."""
        e164 = ""
        if phone and phone.strip():
            try:
                e164 = normalize_phone(phone, dealer.country)
            except ValueError as exc:
                raise PersonUnknown(str(exc)) from None
        address = (email or "").strip().lower()
        if address and "@" not in address:
            raise PersonUnknown(f"{address!r} is not an email address")
        if not (e164 or address):
            raise PersonUnknown("give a phone number or an email address")
        return cls(phone=e164, email=address)

    @property
    def hashes(self) -> list[str]:
        return [person_hash(v) for v in (*self.phones, *self.emails)]

    @property
    def senders(self) -> list[str]:
        """How a reply from this person is addressed (InboundMessage.sender)."""
        found = []
        for phone in self.phones:
            found += [phone, f"whatsapp:{phone}"]
        return found + self.emails

    def pattern(self) -> re.Pattern[bytes]:
        """The phone number in any way people write it, and the address, in raw bytes.

        Digits of the national number with any separators between them (0171 1234567,
        +49 171 1234567, 0049-171-123 45 67, 01711234567) and the email in any case. Bytes,
        because intake bodies are kept as received (any ASCII-compatible charset).
        """
        options = []
        for phone in self.phones:
            national = str(phonenumbers.parse(phone).national_number)
            options.append(rb"[\s\-/.()]{0,3}".join(re.escape(d.encode()) for d in national))
        for email in self.emails:
            options.append(re.escape(email.encode()))
        return re.compile(b"|".join(options), re.IGNORECASE)


def person_hash(value: str) -> str:
    """Keyed hash of a normalised phone number or address (SECRET_KEY-derived key)."""
    return salted_hmac("leadflow.person", value, algorithm="sha256").hexdigest()
