"""What the customer asked: the intent a lead's first answer is written for.

Read from the lead's own data, most explicit first: a portal's inquiry type or an ADF
``<request>`` (kept in the raw payload), the ADF vehicle interest and trade-in cars, then
keywords in the customer's message (German, English, Dutch, French); else "general".
"""

from __future__ import annotations

import re
from typing import Any

from leads.models import Lead

AVAILABILITY = "availability"
PRICE = "price"
TRADE_IN = "trade_in"
TEST_DRIVE = "test_drive"
GENERAL = "general"
INTENTS = (AVAILABILITY, PRICE, TRADE_IN, TEST_DRIVE, GENERAL)

# Portal and ADF spellings of an inquiry type, normalised to lower case without spaces,
# dashes or underscores.
_TYPES = {
    "availability": AVAILABILITY,
    "available": AVAILABILITY,
    "verfuegbarkeit": AVAILABILITY,
    "verfügbarkeit": AVAILABILITY,
    "price": PRICE,
    "pricequote": PRICE,
    "quote": PRICE,
    "offer": PRICE,
    "preis": PRICE,
    "preisanfrage": PRICE,
    "angebot": PRICE,
    "tradein": TRADE_IN,
    "trade": TRADE_IN,
    "inzahlungnahme": TRADE_IN,
    "sell": TRADE_IN,
    "testdrive": TEST_DRIVE,
    "probefahrt": TEST_DRIVE,
    "proefrit": TEST_DRIVE,
    "essai": TEST_DRIVE,
    "appointment": TEST_DRIVE,
    "general": GENERAL,
    "info": GENERAL,
    "information": GENERAL,
}
_TYPE_KEYS = ("inquiry_type", "inquiryType", "request_type", "requestType", "request", "type")

# Keyword patterns, checked in this order: a test-drive request usually also asks whether the
# car is there, and a trade-in question usually mentions the price.
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        TEST_DRIVE,
        re.compile(r"probefahrt|test ?drive|proefrit|essai|essayer|probe ?fahren", re.I),
    ),
    (
        TRADE_IN,
        re.compile(
            r"inzahlung|in zahlung|trade[- ]?in|part[- ]?ex|inruil|reprise|mein(en)? alte[nr]?",
            re.I,
        ),
    ),
    (
        PRICE,
        re.compile(
            r"preis|rabatt|finanzier|leasing|price|discount|financ|prijs|korting|"
            r"prix|remise|how much|wie ?viel|combien|hoeveel|kost",
            re.I,
        ),
    ),
    (
        AVAILABILITY,
        re.compile(
            r"verfügbar|verfuegbar|noch da|vorrätig|available|still there|in stock|"
            r"beschikbaar|nog te koop|disponible|toujours là|encore là|noch zu haben",
            re.I,
        ),
    ),
)


def _normalise(value: Any) -> str:
    return re.sub(r"[\s_\-]+", "", str(value)).casefold()


def _declared(raw: dict[str, Any]) -> str | None:
    places = [raw, raw.get("adf") or {}]
    for place in places:
        if not isinstance(place, dict):
            continue
        for key in _TYPE_KEYS:
            value = place.get(key)
            if isinstance(value, dict):  # {"request": {"type": "test-drive"}}
                value = value.get("type")
            if isinstance(value, str) and _normalise(value) in _TYPES:
                return _TYPES[_normalise(value)]
    adf = raw.get("adf")
    if not isinstance(adf, dict):
        adf = {}
    interest = _normalise(adf.get("vehicle_interest", ""))
    if interest in ("testdrive", "test"):
        return TEST_DRIVE
    if any(
        isinstance(v, dict) and _normalise(v.get("interest", "")) in ("tradein", "sell")
        for v in adf.get("other_vehicles") or []
    ):
        return TRADE_IN
    return None


def lead_intent(lead: Lead) -> str:
    """The customer's question as one of ``INTENTS``."""
    raw = lead.raw_payload if isinstance(lead.raw_payload, dict) else {}
    declared = _declared(raw)
    if declared is not None and declared != GENERAL:
        return declared
    for intent, pattern in _KEYWORDS:
        if pattern.search(lead.message or ""):
            return intent
    return declared or GENERAL
