"""The booking link: the lead's id signed with the site's key and a timestamp.

Signed, not stored: there is nothing to look up or clean up, a link cannot be guessed or
edited into another lead's, and it stops working LEADFLOW_BOOKING_LINK_DAYS after it was made.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from leads.models import Lead

_SALT = "followup.booking"


class LinkExpired(Exception):
    """A genuine link, but too old."""


class LinkInvalid(Exception):
    """Not a link we made (cut short, edited, or signed with another key)."""


def booking_token(lead: Lead) -> str:
    return signing.dumps({"l": lead.pk}, salt=_SALT, compress=True)


def booking_url(*, lead: Lead) -> str:
    """Absolute, signed and expiring: the link the first message carries."""
    path = reverse("booking-page", args=[booking_token(lead)])
    return settings.LEADFLOW_PUBLIC_URL + path


def link_max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.LEADFLOW_BOOKING_LINK_DAYS)


def lead_id_from_token(token: str, *, any_age: bool = False) -> int:
    """Raises LinkExpired or LinkInvalid. ``any_age``: a genuine but expired link still
    names its lead (to say whom to call instead)."""
    try:
        value = signing.loads(token, salt=_SALT, max_age=None if any_age else link_max_age())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise LinkInvalid from None
    if not isinstance(value, dict) or not isinstance(value.get("l"), int):
        raise LinkInvalid
    return value["l"]
