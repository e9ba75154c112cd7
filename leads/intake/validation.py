"""One set of rules for every portal: canonical lead dict in, Lead field values or errors out."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime

from leads.models import Lead
from leads.phones import normalize_phone


class LeadInvalid(Exception):
    """The body was readable but its values are not a usable lead (HTTP 422)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


# Any surrogate code point left in a Python str is a lone one (json.loads joins valid pairs):
# no database and no UTF-8 encoder accepts it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_clean(value: str) -> str:
    """Text a database can store: NUL dropped, lone surrogates shown as U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", value)


def payload_clean(value: Any) -> Any:
    """``text_clean`` over a parsed payload, keys included (it is also stored as it came)."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {payload_clean(k): payload_clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [payload_clean(v) for v in value]
    return value


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise TypeError
    return str(value).strip()[:limit]


def _section(data: dict, key: str, errors: dict[str, list[str]]) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        errors[key] = ["must be an object"]
        return {}
    return value


class _Errors(dict[str, list[str]]):
    """Per-field errors, collected while every field is cleaned (the portal sees them all)."""

    def text(self, path: str, value: Any, limit: int) -> str:
        try:
            return _text(value, limit)
        except TypeError:
            self[path] = ["must be text"]
            return ""


def clean_lead(data: dict[str, Any], *, region: str) -> dict[str, Any]:
    """Lead field values from a canonical lead dict; raises LeadInvalid with per-field errors."""
    errors = _Errors()
    text = errors.text
    customer = _section(data, "customer", errors)
    vehicle = _section(data, "vehicle", errors)
    consent = _section(data, "consent", errors)

    out: dict[str, Any] = {
        "source": text("source", data.get("source"), 40),
        "external_id": text("external_id", data.get("external_id"), 200),
        "first_name": text("customer.first_name", customer.get("first_name"), 100),
        "last_name": text("customer.last_name", customer.get("last_name"), 100),
        "language": text("customer.language", customer.get("language"), 8).lower(),
        "postal_code": text("customer.postal_code", customer.get("postal_code"), 20),
        "message": text("message", data.get("message"), 10_000),
    }
    asked_channel = _clean_contact(customer, region, out, errors)
    _clean_vehicle(vehicle, out, errors)
    _clean_consent(consent, asked_channel, out, errors)
    out["portal_received_at"] = _clean_received(data.get("received_at"), errors)
    out["is_test"] = data.get("is_test") is True

    if errors:
        raise LeadInvalid(dict(errors))
    return out


def _clean_contact(
    customer: dict[str, Any], region: str, out: dict[str, Any], errors: _Errors
) -> str:
    """Email, phone and preferred channel; returns the channel the customer asked for."""
    email = errors.text("customer.email", customer.get("email"), 254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["customer.email"] = [f"{email!r} is not an email address"]
            email = ""
    out["email"] = email

    phone = errors.text("customer.phone", customer.get("phone"), 40)
    if phone:
        try:
            phone = normalize_phone(phone, region)
        except ValueError as exc:
            errors["customer.phone"] = [str(exc)]
            phone = ""
    out["phone"] = phone
    if (
        not phone
        and not email
        and "customer.phone" not in errors
        and "customer.email" not in errors
    ):
        errors["customer"] = ["a phone number or an email address is required"]

    channel = errors.text(
        "customer.preferred_channel", customer.get("preferred_channel"), 20
    ).lower()
    if channel and channel not in Lead.Channel.values:
        errors["customer.preferred_channel"] = [
            f"{channel!r} is not one of {', '.join(Lead.Channel.values)}"
        ]
    out["preferred_channel"] = channel or (Lead.Channel.PHONE if phone else Lead.Channel.EMAIL)
    return channel


def _clean_vehicle(vehicle: dict[str, Any], out: dict[str, Any], errors: _Errors) -> None:
    text = errors.text
    out["vehicle_make"] = text("vehicle.make", vehicle.get("make"), 60)
    out["vehicle_model"] = " ".join(
        p
        for p in (
            text("vehicle.model", vehicle.get("model"), 80),
            text("vehicle.trim", vehicle.get("trim"), 40),
        )
        if p
    )[:100]
    out["vehicle_stock_number"] = text("vehicle.stock_number", vehicle.get("stock_number"), 40)
    out["vehicle_vin"] = text("vehicle.vin", vehicle.get("vin"), 17).upper()
    condition = text("vehicle.condition", vehicle.get("condition"), 10).lower()
    if condition and condition not in Lead.Condition.values:
        errors["vehicle.condition"] = [f"{condition!r} is not one of new, used"]
    out["vehicle_condition"] = condition if condition in Lead.Condition.values else ""
    out["vehicle_year"] = _clean_year(vehicle.get("year"), errors)
    out["vehicle_price"] = _clean_price(vehicle.get("price"), errors)


def _clean_year(year: Any, errors: _Errors) -> int | None:
    if year in (None, ""):
        return None
    try:
        value = int(str(year).strip())
        if not 1900 <= value <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors["vehicle.year"] = [f"{year!r} is not a model year"]
        return None
    return value


def _clean_price(price: Any, errors: _Errors) -> Decimal | None:
    if price in (None, ""):
        return None
    try:
        value = Decimal(str(price)).quantize(Decimal("0.01"))
        if not 0 <= value < Decimal("100000000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["vehicle.price"] = [f"{price!r} is not a price"]
        return None
    return value


def _clean_consent(
    consent: dict[str, Any], channel: str, out: dict[str, Any], errors: _Errors
) -> None:
    for key in ("phone", "email", "whatsapp"):
        value = consent.get(key)
        if value is not None and not isinstance(value, bool):
            errors[f"consent.{key}"] = ["must be true or false"]
    # Yes, no or unknown (None) per channel — unknown is never yes. Asking to be contacted by
    # a channel (the portal's explicit preferred channel) is the customer's yes to it.
    for key in ("phone", "email", "whatsapp"):
        value = consent.get(key)
        out[f"consent_{key}"] = (
            value if isinstance(value, bool) else (True if channel == key else None)
        )


def _clean_received(received: Any, errors: _Errors) -> dt.datetime | None:
    if received in (None, ""):
        return None
    try:
        parsed = parse_datetime(str(received)) if isinstance(received, str) else None
    except ValueError:
        # Well-formed but impossible, such as 2026-02-30.
        parsed = None
    if parsed is None:
        errors["received_at"] = [f"{received!r} is not an ISO 8601 date and time"]
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
