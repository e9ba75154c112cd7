"""Phone numbers as LeadFlow keeps them (E.164), for intake, the follow-up engine and privacy."""

from __future__ import annotations

import re

import phonenumbers


def normalize_phone(raw: str, region: str) -> str:
    """A phone number as people write it → E.164, or ValueError with the reason.

    "+49 (0)171 1234567" is common in Germany: the "(0)" is the trunk prefix that must be dropped
    once an international prefix is present, which libphonenumber does not do on its own.
    """
    text = raw.strip()
    if text.startswith(("+", "00")):
        text = re.sub(r"\(\s*0\s*\)", "", text)
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number for {region.upper()}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
