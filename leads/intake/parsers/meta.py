"""Meta (Facebook/Instagram) Lead Ads: webhook signature, notification, and Graph lead mapping.

Meta's webhook does not carry the lead itself, only its id. The flow is:

1. ``meta_signature_valid`` on the raw body and the ``X-Hub-Signature-256`` header;
2. ``parse_meta_notification`` to get the ``leadgen`` change values (``leadgen_id`` etc.);
3. the caller fetches ``GET /<leadgen_id>`` from the Graph API (network: not done here);
4. ``map_meta_lead`` turns that Graph lead object into the canonical lead dict.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from leads.intake.parsers import PayloadError, as_text
from leads.intake.parsers.canonical import FormAnswers, canonical_lead
from leads.intake.parsers.json_lead import parse_json_lead

__all__ = ["map_meta_lead", "meta_signature_valid", "parse_meta_notification"]

_SIGNATURE_PREFIX = "sha256="
# Ids Meta documents as strings but its test tool and older API versions send as numbers; the
# dedup key must not depend on which.
_ID_FIELDS = ("leadgen_id", "page_id", "form_id", "adgroup_id", "ad_id")

_CUSTOMER_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "e-mail": "email",
    "work_email": "email",
    "phone_number": "phone",
    "phone": "phone",
    "mobile_phone": "phone",
    "work_phone_number": "phone",
    "zip_code": "postal_code",
    "post_code": "postal_code",
    "postal_code": "postal_code",
    "zip": "postal_code",
}
_ADDRESS_FIELDS = {
    "street_address": "street",
    "city": "city",
    "state": "region",
    "province": "region",
    "country": "country",
    "zip_code": "postal_code",
    "post_code": "postal_code",
    "postal_code": "postal_code",
    "zip": "postal_code",
}
_VEHICLE_FIELDS = {
    "vehicle": "model",
    "car": "model",
    "car_model": "model",
    "vehicle_model": "model",
    "model": "model",
    "fahrzeug": "model",
    "modell": "model",
    "make": "make",
    "car_make": "make",
    "vehicle_make": "make",
    "marke": "make",
    "year": "year",
    "vehicle_year": "year",
    "trim": "trim",
    "stock_number": "stock_number",
    "vin": "vin",
}
_CONDITION_FIELDS = ("vehicle_condition", "condition", "new_or_used")
# Meta's lead testing tool fills every field with this marker instead of real data.
_TEST_LEAD_MARKER = "<test lead:"


def meta_signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """True when ``header`` is ``sha256=<hex HMAC-SHA256 of body keyed with app_secret>``.

    Compared in constant time. A missing header or an empty secret is never valid: an empty
    secret would let anyone sign.
    """
    if not header or not app_secret:
        return False
    header = header.strip()
    if header[: len(_SIGNATURE_PREFIX)].lower() != _SIGNATURE_PREFIX:
        return False
    given = header[len(_SIGNATURE_PREFIX) :].strip().lower()
    key = app_secret.encode("utf-8", "surrogatepass")
    expected = hmac.new(key, bytes(body), hashlib.sha256).hexdigest()
    # Bytes on both sides: compare_digest refuses non-ASCII str, and a header is attacker input.
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def parse_meta_notification(body: bytes) -> list[dict[str, Any]]:
    """The ``value`` of every ``leadgen`` change in a Lead Ads webhook, in delivery order.

    Changes for other fields are skipped (a page subscribed to more than leadgen gets those on the
    same URL). Id fields (``leadgen_id``, ``page_id``, ``form_id``, ``adgroup_id``, ``ad_id``) are
    returned as strings. An empty list is a valid result: nothing to fetch.
    """
    data = parse_json_lead(body)
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise PayloadError("Meta notification has no 'entry' list")
    values: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise PayloadError("Meta notification entry is not an object")
        changes = entry.get("changes", [])
        if not isinstance(changes, list):
            raise PayloadError("Meta notification 'changes' is not a list")
        for change in changes:
            if not isinstance(change, dict):
                raise PayloadError("Meta notification change is not an object")
            if change.get("field") != "leadgen":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                raise PayloadError("Meta leadgen change has no 'value' object")
            value = dict(value)
            for field in _ID_FIELDS:
                if isinstance(value.get(field), int) and not isinstance(value[field], bool):
                    value[field] = str(value[field])
            if not isinstance(value.get("leadgen_id"), str) or not value["leadgen_id"]:
                raise PayloadError("Meta leadgen change has no 'leadgen_id'")
            values.append(value)
    return values


def map_meta_lead(lead: dict[str, Any]) -> dict[str, Any]:
    """Map a Graph API lead object (``GET /<leadgen_id>``) to the canonical lead dict.

    ``source`` is ``"meta"`` and ``external_id`` the lead's ``id`` (the ``leadgen_id`` of the
    notification). Standard questions map by name; custom questions whose name mentions a model,
    vehicle or car fill ``vehicle.model`` best effort; every other field becomes a
    ``"name: value"`` line of ``message``. Leads from Meta's testing tool (values starting with
    "<test lead:") get ``is_test`` True. Ad/form/campaign ids and platform are kept under
    ``lead["meta"]``.
    """
    if not isinstance(lead, dict):
        raise PayloadError("Meta lead must be a JSON object")
    field_data = lead.get("field_data", [])
    if field_data is None:
        field_data = []
    if not isinstance(field_data, list):
        raise PayloadError("Meta lead 'field_data' must be a list")

    answers, is_test = _read_fields(field_data)
    year = answers.vehicle.get("year")
    if isinstance(year, str) and year.isdigit() and len(year) == 4:
        answers.vehicle["year"] = int(year)
    out = canonical_lead(
        source="meta",
        answers=answers,
        external_id=as_text(lead.get("id")),
        received_at=as_text(lead.get("created_time")),
        is_test=is_test,
    )
    meta = {
        key: as_text(lead.get(key))
        for key in ("ad_id", "adset_id", "campaign_id", "form_id", "platform")
        if as_text(lead.get(key))
    }
    if isinstance(lead.get("is_organic"), bool):
        meta["is_organic"] = lead["is_organic"]
    out["meta"] = meta
    return out


def _read_fields(field_data: list[Any]) -> tuple[FormAnswers, bool]:
    """The form's answers, and whether Meta's testing tool filled them in."""
    answers = FormAnswers()
    is_test = False
    for field in field_data:
        if not isinstance(field, dict):
            continue
        raw_name = as_text(field.get("name"))
        name = _normalise_name(raw_name)
        value = ", ".join(_values(field.get("values")))
        if not name or not value:
            continue
        if value.lower().startswith(_TEST_LEAD_MARKER):
            is_test = True
        _sort_field(answers, name, raw_name, value)
    return answers, is_test


def _sort_field(answers: FormAnswers, name: str, raw_name: str, value: str) -> None:
    if name == "full_name":
        answers.full_name = value
        return
    if name in _CUSTOMER_FIELDS or name in _ADDRESS_FIELDS:
        if name in _CUSTOMER_FIELDS:
            answers.customer.setdefault(_CUSTOMER_FIELDS[name], value)
        if name in _ADDRESS_FIELDS:
            answers.address.setdefault(_ADDRESS_FIELDS[name], value)
        return
    vehicle = answers.vehicle
    if name in _VEHICLE_FIELDS:
        vehicle.setdefault(_VEHICLE_FIELDS[name], value)
    elif name in _CONDITION_FIELDS and (condition := _condition(value)):
        vehicle.setdefault("condition", condition)
    elif _looks_like_model_question(name) and "model" not in vehicle:
        vehicle["model"] = value
    else:
        answers.lines.append(f"{raw_name}: {value}")


def _values(values: Any) -> list[str]:
    if isinstance(values, str | int | float) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, list):
        return []
    return [text for v in values if (text := as_text(v))]


def _normalise_name(name: str) -> str:
    # Custom questions arrive named after their text ("which_model_are_you_interested_in?") and
    # advertisers rename standard ones ("Zip Code"): compare on a lower-case snake form.
    return re.sub(r"[^0-9a-z\-]+", "_", name.lower()).strip("_")


def _looks_like_model_question(name: str) -> bool:
    words = set(name.split("_"))
    return bool(words & {"model", "vehicle", "car", "modell", "fahrzeug", "auto"})


def _condition(value: str) -> str:
    lowered = value.lower()
    if any(w in lowered for w in ("used", "pre-owned", "preowned", "gebraucht", "occasion")):
        return "used"
    if any(w in lowered for w in ("new", "neu")):
        return "new"
    return ""
