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

import codecs
import html.entities
import re
import unicodedata
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree as DET

from leads.intake.parsers import PayloadError

MAX_BODY_BYTES = 256 * 1024
MAX_ELEMENTS = 5_000
MAX_DEPTH = 50

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "normalise_datetime",
    "parse_adf",
    "parse_price",
    "slugify_source",
    "split_full_name",
]

_XML_DECL = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I)
# Anything xml-declaration-like anywhere near the top: after we decode to str, a declaration is at
# best redundant and at worst wrong (it names the bytes' encoding, not the str's), and vendors put
# it after their <?adf?> PI or after whitespace, both fatal to expat. So it goes.
_XML_DECL_TEXT = re.compile(r"<\?xml\s[^>]*?\?>", re.I)
_PROLOG_JUNK = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->)*", re.S)
# Only the first few KB are searched for a declaration: it belongs at the top, and bounding the
# window keeps a body full of unterminated "<?xml " from making the regex quadratic.
_PROLOG_WINDOW = 4096
_AMP = re.compile(r"&(#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)?")
_XML_ENTITIES = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})
_DOCTYPE = re.compile(r"<!(DOCTYPE|ENTITY)\b", re.I)


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
    text = _repair(_decode(body))
    root = _parse_xml(text)
    if root.tag != "adf":
        raise PayloadError(f"not an ADF document: the root element is <{root.tag}>, expected <adf>")
    prospects = root.findall("prospect")
    if not prospects:
        raise PayloadError("ADF document has no <prospect> element")
    lead = _map_prospect(prospects[0])
    lead["adf"]["prospects"] = len(prospects)
    return lead


# --- bytes to a safe element tree -------------------------------------------------------------


def _decode(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    elif body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return body.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise PayloadError(
                f"ADF body has a UTF-16 byte-order mark but is not UTF-16: {exc.reason}"
            ) from exc
    declared = _declared_encoding(body)
    # Portals that declare ISO-8859-1 mostly mean Windows-1252 (the euro sign is 0x80), and
    # portals that declare UTF-8 sometimes send Latin-1 anyway: try what they say, then UTF-8,
    # then cp1252, and finally latin-1, which decodes any byte string.
    candidates = [declared] if declared else []
    candidates += ["utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            return body.decode(encoding)
        # ValueError, not just UnicodeDecodeError: a declared "idna" or "punycode" fails with
        # plain UnicodeError, and LookupError covers bytes-to-bytes codecs such as "base64".
        except (ValueError, LookupError):
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _declared_encoding(body: bytes) -> str | None:
    match = _XML_DECL.search(body[:_PROLOG_WINDOW])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # Strict latin-1 would turn 0x80 into a C1 control instead of the euro sign the sender meant.
    if codec in ("latin-1", "iso8859-1"):
        return "cp1252"
    # A declared UTF-16 on bytes that had no BOM is almost surely a lie told by a template.
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return None
    return codec


def _repair(text: str) -> str:
    text = text.lstrip("\ufeff \t\r\n")
    decl = _XML_DECL_TEXT.search(text, 0, _PROLOG_WINDOW)
    if decl and _PROLOG_JUNK.fullmatch(text, 0, decl.start()):
        text = (text[: decl.start()] + text[decl.end() :]).lstrip()
    parts = _split_opaque(text)
    for i in range(0, len(parts), 2):
        if _DOCTYPE.search(parts[i]):
            raise PayloadError("ADF body contains a DTD or entity declaration, which is refused")
        parts[i] = _AMP.sub(_fix_ampersand, parts[i])
    return "".join(parts)


def _split_opaque(text: str) -> list[str]:
    """Split into [markup, opaque, markup, opaque, …, markup]; opaque = CDATA and comments.

    Opaque parts are copied verbatim by the ampersand repair: inside them a bare "&" is legal and
    escaping it would change the text. A hand-rolled linear scan rather than a lazy regex, which
    goes quadratic on a body made of many unterminated CDATA sections.
    """
    markers = (("<![CDATA[", "]]>"), ("<!--", "-->"))
    next_at = [text.find(start) for start, _ in markers]
    parts: list[str] = []
    pos = 0
    while True:
        for k, (start, _) in enumerate(markers):
            # Re-search only a marker whose cached hit has been consumed: keeps the scan linear.
            if 0 <= next_at[k] < pos:
                next_at[k] = text.find(start, pos)
        live = [(at, k) for k, at in enumerate(next_at) if at != -1]
        if not live:
            parts.append(text[pos:])
            return parts
        begin, k = min(live)
        start, terminator = markers[k]
        stop = text.find(terminator, begin + len(start))
        stop = len(text) if stop == -1 else stop + len(terminator)
        parts += [text[pos:begin], text[begin:stop]]
        pos = stop


def _fix_ampersand(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref is None:
        return "&amp;"
    if ref.startswith("#") or ref in _XML_ENTITIES:
        return match.group(0)
    # HTML named entities (&uuml;, &nbsp;) are common in German portal text and unknown to XML;
    # turn them into character references. Anything else was a literal "&" all along.
    char = html.entities.html5.get(ref)
    if char is not None:
        return "".join(f"&#{ord(c)};" for c in char)
    return "&amp;" + ref


class _BoundedBuilder(TreeBuilder):
    """Counts and depth-limits elements while the tree is built, and folds tag/attribute case.

    Checking during the parse (not afterwards) is what keeps a hostile document from ever being
    fully materialised.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.count += 1
        self.depth += 1
        if self.count > MAX_ELEMENTS:
            raise PayloadError(f"ADF document has more than {MAX_ELEMENTS} elements")
        if self.depth > MAX_DEPTH:
            raise PayloadError(f"ADF document is nested deeper than {MAX_DEPTH} levels")
        return super().start(_local(tag), {_local(k): v for k, v in attrs.items()})

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return super().end(_local(tag))


def _local(name: str) -> str:
    # Drop any namespace: some vendors put an xmlns on <adf>, which the spec never had.
    return name.rsplit("}", 1)[-1].lower()


def _parse_xml(text: str) -> Element:
    builder = _BoundedBuilder()
    parser = DET.DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(text)
        root = parser.close()
    except PayloadError:
        raise
    except defusedxml.DTDForbidden as exc:
        raise PayloadError("ADF body contains a DTD, which is refused") from exc
    except defusedxml.EntitiesForbidden as exc:
        raise PayloadError("ADF body declares XML entities, which is refused") from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise PayloadError("ADF body references an external resource, which is refused") from exc
    except defusedxml.DefusedXmlException as exc:
        raise PayloadError(f"ADF body uses a refused XML feature: {exc}") from exc
    except ParseError as exc:
        raise PayloadError(f"ADF body is not well-formed XML: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"ADF body cannot be parsed as XML: {exc}") from exc
    if not isinstance(root, Element):  # pragma: no cover - close() always returns the root
        raise PayloadError("ADF body has no root element")
    return root


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

    # The spec's preferredcontact flag sits on the email or phone element itself; whichever comes
    # first in the document with the flag set wins.
    for el in contact:
        if el.tag in ("email", "phone") and _flag(el, "preferredcontact"):
            if el.tag == "email":
                out["preferred_channel"] = "email"
                break
            if _attr(el, "type") not in ("fax", "pager"):
                out["preferred_channel"] = "phone"
                break

    address = _map_address(contact.find("address"))
    if address:
        out["address"] = address
        if "postal_code" in address:
            out["postal_code"] = address["postal_code"]
    timeframe = customer.find("timeframe")
    if timeframe is not None:
        tf = _drop_empty(
            {
                "description": _child_text(timeframe, "description"),
                "earliest": _child_text(timeframe, "earliestdate"),
                "latest": _child_text(timeframe, "latestdate"),
            }
        )
        if tf:
            extra["timeframe"] = tf
    return _drop_empty(out), extra


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


# --- small helpers the other portal parsers share ---------------------------------------------


def split_full_name(full: str) -> tuple[str, str]:
    """Split "Anna Maria Schmidt" into ("Anna Maria", "Schmidt") and "Schmidt, Anna" likewise.

    Portals give one name box; salespeople greet by first name and sort by last, so a best guess
    beats nothing. A single word is taken as the first name.
    """
    full = " ".join(full.split())
    if not full:
        return "", ""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.rpartition(" ")
    if not first:
        return last, ""
    return first, last


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


def normalise_datetime(raw: str) -> str:
    """ISO 8601 in any of its spellings -> ``datetime.isoformat()``; anything else unchanged.

    An unparseable date is the validator's business, not a reason to refuse the whole lead.
    """
    raw = raw.strip()
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        return raw
