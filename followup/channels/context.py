"""What the first answer says about the car: the vehicle card and the sentences around it.

``first_message_context`` is the one place that gathers it, from the lead's own vehicle data.
The inventory feed's view of the car (``offer``: a mapping like ``leads.offers.vehicle_offer``
returns — make, model, year, condition, price, stock_number, listing_url, photo_url,
availability "available"/"sold"/"unknown", similar: cars of the same shape) and the customer's
booking link (``booking_url``) plug in as optional arguments: every placeholder keeps working
without them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency

from leads.models import Lead

CURRENCY = "EUR"

PHRASES: dict[str, dict[str, Any]] = {
    "de": {
        "sender": "{salesperson} von {dealer}",
        "team": "Ihr Team von {dealer}",
        "available": "Gute Nachricht: Der {vehicle} ist verfügbar.",
        "sold": "Der {vehicle} ist leider schon verkauft. Ähnliche Fahrzeuge bei uns: {similar}.",
        "unknown": "{sender} prüft die Verfügbarkeit gerade für Sie und bestätigt sie persönlich.",
        "book": "Buchen Sie hier direkt einen Termin für Besichtigung oder Probefahrt: {url}",
        "reply": (
            "Antworten Sie einfach auf diese Nachricht, wann Sie vorbeikommen möchten – "
            "wir halten den Wagen für Sie bereit."
        ),
        "call": "Wir rufen Sie am {day} ab {time} Uhr an.",
        "day": "EEEE, d. MMMM",
        "on_request": "auf Anfrage",
        "condition": {"new": "Neuwagen", "used": "Gebrauchtwagen"},
        "year": "Baujahr",
        "price": "Preis",
        "stock": "Bestandsnr.",
        "listing": "Inserat",
    },
    "en": {
        "sender": "{salesperson} from {dealer}",
        "team": "your team at {dealer}",
        "available": "Good news: the {vehicle} is available.",
        "sold": "The {vehicle} has unfortunately been sold. Similar cars we have: {similar}.",
        "unknown": "{sender} is checking its availability for you and will confirm it personally.",
        "book": "Book a viewing or test drive here: {url}",
        "reply": (
            "Just reply to this message to tell us when you would like to come by – we will "
            "have the car ready for you."
        ),
        "call": "We will call you on {day} from {time}.",
        "day": "EEEE d MMMM",
        "on_request": "on request",
        "condition": {"new": "new", "used": "used"},
        "year": "Year",
        "price": "Price",
        "stock": "Stock no.",
        "listing": "Listing",
    },
    "nl": {
        "sender": "{salesperson} van {dealer}",
        "team": "uw team van {dealer}",
        "available": "Goed nieuws: de {vehicle} is beschikbaar.",
        "sold": "De {vehicle} is helaas al verkocht. Vergelijkbare auto's bij ons: {similar}.",
        "unknown": "{sender} controleert de beschikbaarheid voor u en bevestigt die persoonlijk.",
        "book": "Boek hier direct een afspraak voor bezichtiging of proefrit: {url}",
        "reply": (
            "Antwoord gewoon op dit bericht wanneer u langs wilt komen – we zetten de auto "
            "voor u klaar."
        ),
        "call": "We bellen u op {day} vanaf {time} uur.",
        "day": "EEEE d MMMM",
        "on_request": "op aanvraag",
        "condition": {"new": "nieuw", "used": "occasion"},
        "year": "Bouwjaar",
        "price": "Prijs",
        "stock": "Voorraadnr.",
        "listing": "Advertentie",
    },
    "fr": {
        "sender": "{salesperson}, {dealer}",
        "team": "votre équipe {dealer}",
        "available": "Bonne nouvelle : la {vehicle} est disponible.",
        "sold": "La {vehicle} est malheureusement déjà vendue. Véhicules similaires : {similar}.",
        "unknown": "{sender} vérifie sa disponibilité pour vous et vous la confirme en personne.",
        "book": "Réservez ici une visite ou un essai : {url}",
        "reply": (
            "Répondez simplement à ce message pour nous dire quand vous souhaitez passer – "
            "nous préparerons la voiture pour vous."
        ),
        "call": "Nous vous appellerons le {day} à partir de {time}.",
        "day": "EEEE d MMMM",
        "on_request": "sur demande",
        "condition": {"new": "neuf", "used": "occasion"},
        "year": "Année",
        "price": "Prix",
        "stock": "N° de stock",
        "listing": "Annonce",
    },
}
_BABEL_LOCALES = {"de": "de_DE", "en": "en_IE", "nl": "nl_NL", "fr": "fr_FR"}


def price_text(amount: Decimal | int | float | None, *, language: str, country: str = "") -> str:
    """A price as the customer reads it: 21.990 €, €21,990, € 21.990, 21 990 €."""
    if amount is None:
        return ""
    locale_name = _BABEL_LOCALES.get(language, "en_IE")
    if language == "fr" and country.upper() == "BE":
        locale_name = "fr_BE"
    pattern = Locale.parse(locale_name).currency_formats["standard"].pattern
    if Decimal(amount) == Decimal(amount).to_integral_value():
        # Car prices are whole euros: "21.990 €", not "21.990,00 €".
        pattern = pattern.replace("0.00", "0")
    return format_currency(
        Decimal(amount), CURRENCY, format=pattern, locale=locale_name, currency_digits=False
    )


def _url(value: Any) -> str:
    text = str(value or "").strip()
    return text if text.startswith(("https://", "http://")) and " " not in text else ""


def _listing_urls(lead: Lead, offer: Mapping[str, Any]) -> tuple[str, str]:
    raw = lead.raw_payload if isinstance(lead.raw_payload, dict) else {}
    listed = raw.get("vehicle")
    vehicle = dict(listed) if isinstance(listed, dict) else {}
    vehicle.update({k: v for k, v in offer.items() if k in ("listing_url", "photo_url") and v})
    listing = next(
        (_url(vehicle.get(k)) for k in ("listing_url", "url", "link") if _url(vehicle.get(k))),
        "",
    )
    photo = next(
        (
            _url(vehicle.get(k))
            for k in ("photo_url", "image_url", "image", "photo")
            if _url(vehicle.get(k))
        ),
        "",
    )
    return listing, photo


def sender_text(*, lead: Lead, language: str) -> str:
    """Who writes: "Lena Weber von Autohaus Nord", or the dealer's team for BDC leads (never
    "Autohaus Nord von Autohaus Nord")."""
    phrases = PHRASES.get(language, PHRASES["en"])
    dealer = lead.dealer.name
    if lead.assigned_to_id and lead.assigned_to is not None:
        name = lead.assigned_to.display_name
        return phrases["sender"].format(salesperson=name, dealer=dealer)
    return phrases["team"].format(dealer=dealer)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def similar_text(car: Mapping[str, Any], *, language: str, country: str = "") -> str:
    """One similar car in a line: "Volkswagen Golf 2022 · 19.990 €"."""
    name = " ".join(str(car.get(k) or "") for k in ("make", "model", "year")).split()
    price = price_text(car.get("price"), language=language, country=country)
    return " · ".join(p for p in (" ".join(name), price) if p)


def call_text(when: dt.datetime, *, lead: Lead, language: str) -> str:
    """ "We will call you on Saturday 21 November from 08:00." in the dealer's local time."""
    phrases = PHRASES.get(language, PHRASES["en"])
    local = when.astimezone(lead.dealer.tz)
    locale = _BABEL_LOCALES.get(language, "en_IE")
    return phrases["call"].format(
        day=format_date(local, phrases["day"], locale=locale),
        time=format_time(local, "HH:mm", locale=locale),
    )


def _availability(
    phrases: Mapping[str, Any],
    *,
    offer: Mapping[str, Any],
    vehicle: str,
    sender: str,
    language: str,
    country: str,
) -> str:
    """Whether the car is still there, or what is similar if it was sold."""
    similar = [
        similar_text(car, language=language, country=country)
        for car in offer.get("similar") or []
        if isinstance(car, Mapping)
    ]
    if offer.get("availability") == "available":
        return phrases["available"].format(vehicle=vehicle)
    if offer.get("availability") == "sold" and similar:
        return phrases["sold"].format(vehicle=vehicle, similar="; ".join(similar))
    return _capital(phrases["unknown"].format(sender=sender))


def first_message_context(
    *,
    lead: Lead,
    language: str,
    vehicle: str,
    offer: Mapping[str, Any] | None = None,
    booking_url: str = "",
    call_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The first answer's facts as placeholders (all non-empty strings) plus ``card``, the
    vehicle card the email shows as a table. ``call_at``: the lead came in after hours and
    its first call waits until then; the next step says so."""
    phrases = PHRASES.get(language, PHRASES["en"])
    offer = offer or {}
    country = lead.dealer.country
    sender = sender_text(lead=lead, language=language)
    amount = offer.get("price") if offer.get("price") is not None else lead.vehicle_price
    price = price_text(amount, language=language, country=country)
    condition = phrases["condition"].get(offer.get("condition") or lead.vehicle_condition, "")
    stock_number = offer.get("stock_number") or lead.vehicle_stock_number
    year = offer.get("year") or lead.vehicle_year
    listing_url, photo_url = _listing_urls(lead, offer)

    availability = _availability(
        phrases, offer=offer, vehicle=vehicle, sender=sender, language=language, country=country
    )
    next_step = phrases["book"].format(url=booking_url) if booking_url else phrases["reply"]
    if call_at is not None:
        next_step = f"{call_text(call_at, lead=lead, language=language)} {next_step}"

    rows = [
        (phrases[label], str(value))
        for label, value in (("year", year), ("price", price), ("stock", stock_number))
        if value
    ]
    # One line for WhatsApp, whose template variables may hold no line breaks.
    stock = f"{phrases['stock']} {stock_number}" if stock_number else ""
    line = " · ".join(p for p in (vehicle, condition, price, stock, listing_url) if p)
    return {
        "sender": sender,
        "Sender": _capital(sender),
        "price": price or phrases["on_request"],
        "stock_number": stock_number or "-",
        "availability": availability,
        "next_step": next_step,
        "booking_url": booking_url,
        "vehicle_line": line,
        "card": {
            "line": line,
            "title": " · ".join(p for p in (vehicle, condition) if p),
            "rows": rows,
            "listing_url": listing_url,
            "photo_url": photo_url,
            "listing_label": phrases["listing"],
            "availability": availability,
            "booking_url": booking_url,
        },
    }
