"""ADF 1.0 (Auto-lead Data Format) XML in, canonical lead dict out.

ADF is the XML that car portals, OEM sites and lead aggregators have sent dealers since 2000.
The spec is loose and the senders looser, so this parser is lenient about *form* (processing
instructions, BOMs, Latin-1 bytes, stray ``&``, upper-case tags, elements in any order) and
strict about *safety* (no DTDs, no entities, no external references, bounded size and shape).

Known limitation: an ADF document may hold several ``<prospect>`` elements. Portals send one
lead per document in practice, so only the first prospect is parsed; the count is reported as
``lead["adf"]["prospects"]`` so a caller can notice (and log) a batched document.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from xml.etree.ElementTree import Element

from leads.intake.parsers import PayloadError
from leads.intake.parsers.canonical import normalise_datetime, split_full_name
from leads.intake.parsers.safe_xml import xml_root

MAX_BODY_BYTES = 256 * 1024

__all__ = [
    "MAX_BODY_BYTES",
    "parse_adf",
    "parse_price",
    "slugify_source",
]


def parse_adf(body: bytes) -> dict[str, Any]:
    """Parse one ADF 1.0 document into the canonical lead dict (see ``leads.intake.parsers``).

    Only the first ``<prospect>`` is read; ``lead["adf"]["prospects"]`` holds how many there
    were. ``source`` is a slug of ``provider/name`` (``"adf"`` without one); ``external_id`` is
    the ``prospect/id`` whose ``source`` attribute matches the provider name, else the first.
    ADF-only detail (vendor, provider, vehicle interest, trade-ins, extra phones) is kept under
    ``lead["adf"]``. Raises ``PayloadError`` for anything unsafe or unreadable.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = bytes(body)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError(
            f"ADF body is too large: {len(body)} bytes, the limit is {MAX_BODY_BYTES}"
        )
    if not body.strip():
        raise PayloadError("ADF body is empty")
    root = xml_root(body)
    if root.tag != "adf":
        raise PayloadError(f"not an ADF document: the root element is <{root.tag}>, expected <adf>")
    prospects = root.findall("prospect")
    if not prospects:
        raise PayloadError("ADF document has no <prospect> element")
    lead = _map_prospect(prospects[0])
    lead["adf"]["prospects"] = len(prospects)
    return lead


# --- element tree to the canonical dict ---------------------------------------------------------


def _text(el: Element | None) -> str:
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def _child_text(el: Element | None, tag: str) -> str:
    return _text(el.find(tag)) if el is not None else ""


def _attr(el: Element, name: str) -> str:
    return (el.get(name) or "").strip().lower()


def _flag(el: Element, name: str) -> bool:
    return _attr(el, name) in ("1", "true", "yes")


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in ("", None, {}, [])}


def _map_prospect(prospect: Element) -> dict[str, Any]:
    provider = _map_provider(prospect.find("provider"))
    vendor = _map_vendor(prospect.find("vendor"))
    adf: dict[str, Any] = {}
    if vendor:
        adf["vendor"] = vendor
    if provider:
        adf["provider"] = provider
    if status := _attr(prospect, "status"):
        adf["prospect_status"] = status

    lead: dict[str, Any] = {"source": slugify_source(provider.get("name", "")) or "adf"}
    if external_id := _pick_external_id(prospect, provider.get("name", "")):
        lead["external_id"] = external_id
    if requested := _child_text(prospect, "requestdate"):
        lead["received_at"] = normalise_datetime(requested)

    vehicles = prospect.findall("vehicle")
    primary = _primary_vehicle(vehicles)
    if primary is not None:
        lead["vehicle"] = _map_vehicle(primary)
        if interest := _attr(primary, "interest"):
            adf["vehicle_interest"] = interest
    others = [_map_vehicle(v, with_interest=True) for v in vehicles if v is not primary]
    if others := [v for v in others if v]:
        adf["other_vehicles"] = others

    customer_el = prospect.find("customer")
    customer, extra = _map_customer(customer_el)
    if customer:
        lead["customer"] = customer
    adf.update(extra)
    # Customer comments are what the person typed; vehicle comments are usually the dealer's own
    # listing text, so they only stand in when the customer wrote nothing.
    message = _child_text(customer_el, "comments") or _child_text(primary, "comments")
    if message:
        lead["message"] = message
    lead["adf"] = adf
    return lead


def _pick_external_id(prospect: Element, provider_name: str) -> str:
    ids = [(el.get("source") or "", _text(el)) for el in prospect.findall("id")]
    ids = [(src, value) for src, value in ids if value]
    if not ids:
        return ""
    wanted = provider_name.strip().casefold()
    for src, value in ids:
        if wanted and src.strip().casefold() == wanted:
            return value
    return ids[0][1]


def _primary_vehicle(vehicles: list[Element]) -> Element | None:
    # A lead may carry the car the customer wants *and* the one they would trade in; the one to
    # sell them is the first that is not a trade-in or a car they want to sell to us.
    for vehicle in vehicles:
        if _attr(vehicle, "interest") not in ("trade-in", "tradein", "sell"):
            return vehicle
    return vehicles[0] if vehicles else None


def _map_vehicle(vehicle: Element, *, with_interest: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    year = _child_text(vehicle, "year")
    if year:
        out["year"] = int(year) if year.isdigit() and len(year) <= 4 else year
    for key in ("make", "model", "trim"):
        out[key] = _child_text(vehicle, key)
    status = _attr(vehicle, "status")
    if status in ("new", "used"):
        out["condition"] = status
    out["stock_number"] = _child_text(vehicle, "stock")
    out["vin"] = _child_text(vehicle, "vin")
    for price_el in vehicle.findall("price"):
        price = parse_price(_text(price_el))
        if price is not None:
            out["price"] = price
            break
    if with_interest:
        out["interest"] = _attr(vehicle, "interest")
    return _drop_empty(out)


def _map_customer(customer: Element | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if customer is None:
        return {}, {}
    contacts = customer.findall("contact")
    contact = next((c for c in contacts if _flag(c, "primarycontact")), None)
    if contact is None and contacts:
        contact = contacts[0]
    if contact is None:
        return {}, {}
    out: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    first, last = _names(contact)
    out["first_name"] = first
    out["last_name"] = last

    email_el = next((e for e in contact.findall("email") if _text(e)), None)
    if email_el is not None:
        out["email"] = _text(email_el)

    phones = _phones(contact)
    chosen = _choose_phone(phones)
    if chosen is not None:
        out["phone"] = chosen["number"]
    if len(phones) > 1:
        extra["phones"] = [
            _drop_empty({k: v for k, v in p.items() if k != "preferred"}) for p in phones
        ]

    if preferred := _preferred_channel(contact):
        out["preferred_channel"] = preferred

    address = _map_address(contact.find("address"))
    if address:
        out["address"] = address
        if "postal_code" in address:
            out["postal_code"] = address["postal_code"]
    if timeframe := _timeframe(customer.find("timeframe")):
        extra["timeframe"] = timeframe
    return _drop_empty(out), extra


def _preferred_channel(contact: Element) -> str:
    # The spec's preferredcontact flag sits on the email or phone element itself; whichever comes
    # first in the document with the flag set wins.
    for el in contact:
        if el.tag in ("email", "phone") and _flag(el, "preferredcontact"):
            if el.tag == "email":
                return "email"
            if _attr(el, "type") not in ("fax", "pager"):
                return "phone"
    return ""


def _timeframe(timeframe: Element | None) -> dict[str, Any]:
    if timeframe is None:
        return {}
    return _drop_empty(
        {
            "description": _child_text(timeframe, "description"),
            "earliest": _child_text(timeframe, "earliestdate"),
            "latest": _child_text(timeframe, "latestdate"),
        }
    )


def _names(contact: Element) -> tuple[str, str]:
    parts: dict[str, str] = {}
    for name in contact.findall("name"):
        part = _attr(name, "part") or "full"
        value = _text(name)
        if value and part not in parts:
            parts[part] = value
    first, last = parts.get("first", ""), parts.get("last", "")
    if (not first or not last) and "full" in parts:
        full_first, full_last = split_full_name(parts["full"])
        first, last = first or full_first, last or full_last
    return first, last


def _phones(contact: Element) -> list[dict[str, Any]]:
    phones = []
    for el in contact.findall("phone"):
        number = _text(el)
        if number:
            phones.append(
                {
                    "number": number,
                    "type": _attr(el, "type") or "voice",
                    "time": _attr(el, "time"),
                    "preferred": _flag(el, "preferredcontact"),
                }
            )
    return phones


def _choose_phone(phones: list[dict[str, Any]]) -> dict[str, Any] | None:
    # Faxes and pagers cannot take a call from a salesperson. Among the rest: the one the customer
    # flagged, else a mobile (it can also take SMS/WhatsApp), else the first landline.
    callable_ = [p for p in phones if p["type"] not in ("fax", "pager")]
    for candidates in (
        [p for p in callable_ if p["preferred"]],
        [p for p in callable_ if p["type"] in ("cellphone", "cell", "mobile")],
        callable_,
    ):
        if candidates:
            return candidates[0]
    return None


def _map_address(address: Element | None) -> dict[str, Any]:
    if address is None:
        return {}
    streets = sorted(address.findall("street"), key=lambda el: el.get("line") or "")
    return _drop_empty(
        {
            "street": ", ".join(t for t in (_text(s) for s in streets) if t),
            "apartment": _child_text(address, "apartment"),
            "city": _child_text(address, "city"),
            "region": _child_text(address, "regioncode"),
            "postal_code": _child_text(address, "postalcode"),
            "country": _child_text(address, "country"),
        }
    )


def _map_contact_block(contact: Element | None) -> dict[str, Any]:
    if contact is None:
        return {}
    first, last = _names(contact)
    name = " ".join(p for p in (first, last) if p)
    return _drop_empty(
        {
            "name": name,
            "email": _child_text(contact, "email"),
            "phone": _child_text(contact, "phone"),
        }
    )


def _map_vendor(vendor: Element | None) -> dict[str, Any]:
    if vendor is None:
        return {}
    return _drop_empty(
        {
            "id": _child_text(vendor, "id"),
            "name": _child_text(vendor, "vendorname"),
            "url": _child_text(vendor, "url"),
            "contact": _map_contact_block(vendor.find("contact")),
        }
    )


def _map_provider(provider: Element | None) -> dict[str, Any]:
    if provider is None:
        return {}
    return _drop_empty(
        {
            "id": _child_text(provider, "id"),
            "name": _child_text(provider, "name"),
            "service": _child_text(provider, "service"),
            "url": _child_text(provider, "url"),
            "email": _child_text(provider, "email"),
            "phone": _child_text(provider, "phone"),
            "contact": _map_contact_block(provider.find("contact")),
        }
    )


# --- small helpers ------------------------------------------------------------------------------


def slugify_source(name: str, max_length: int = 50) -> str:
    """ "AutoScout24 GmbH" -> "autoscout24-gmbh": a stable, URL-safe source key."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:max_length].rstrip("-")


_PRICE_CHARS = re.compile(r"[^0-9.,\-]")


def parse_price(raw: str) -> int | float | None:
    """Read "21.990,00 EUR", "$21,990", "21 990 €", "CHF 21'990.–" as a number, else None.

    Whole amounts come back as int (the canonical example uses 21990, not 21990.0).
    """
    cleaned = _PRICE_CHARS.sub("", raw.replace("\u2212", "-"))
    negative = cleaned.startswith("-")
    cleaned = cleaned.replace("-", "")
    if not any(c.isdigit() for c in cleaned):
        return None
    has_dot, has_comma = "." in cleaned, "," in cleaned
    if has_dot and has_comma:
        # The separator that comes last is the decimal one: "21.990,00" vs "21,990.00".
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    elif has_dot or has_comma:
        sep = "." if has_dot else ","
        head, _, tail = cleaned.rpartition(sep)
        # One separator followed by exactly three digits is a thousands separator: no car costs
        # 21.990 of anything, but 21.990 EUR is what German portals write for 21990.
        if cleaned.count(sep) > 1 or len(tail) == 3:
            cleaned = cleaned.replace(sep, "")
        else:
            cleaned = head.replace(sep, "") + "." + tail
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if negative:
        value = -value
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return round(value, 2)
