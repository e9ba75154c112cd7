"""The dealer's stock as a feed: read JSON or CSV, check every row, apply it in one go.

A feed is applied all or nothing: one unusable row refuses the whole feed with every row's
errors, so a dealer never has to guess which half of a push took effect. Rows find their car
by stock number or VIN (both normalised: trimmed, upper case), which makes a repeated push a
no-op and lets a later push add the VIN to a car first sent with its stock number only.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, Vehicle

CSV_TYPES = ("text/csv", "application/csv", "text/comma-separated-values")
JSON_TYPES = ("application/json",)
MAX_ROWS = 20_000
MAX_PRICE = Decimal("100000000")

# Column names (CSV) and keys (JSON) a row may use, mapped to the field they fill. German
# names are what dealer management systems commonly export.
ALIASES: dict[str, str] = {
    "stock_number": "stock_number",
    "stock": "stock_number",
    "stock_no": "stock_number",
    "stocknumber": "stock_number",
    "fahrzeugnummer": "stock_number",
    "vin": "vin",
    "fin": "vin",
    "make": "make",
    "marke": "make",
    "model": "model",
    "modell": "model",
    "year": "year",
    "baujahr": "year",
    "condition": "condition",
    "zustand": "condition",
    "price": "price",
    "preis": "price",
    "mileage_km": "mileage_km",
    "mileage": "mileage_km",
    "km": "mileage_km",
    "kilometerstand": "mileage_km",
    "listing_url": "listing_url",
    "url": "listing_url",
    "photo_url": "photo_url",
    "image_url": "photo_url",
    "image": "photo_url",
    "status": "status",
    "availability": "status",
    "verfuegbarkeit": "status",
}
CONDITIONS = {
    "new": Vehicle.Condition.NEW,
    "neu": Vehicle.Condition.NEW,
    "used": Vehicle.Condition.USED,
    "gebraucht": Vehicle.Condition.USED,
    "": "",
}
STATUSES = {
    "available": Vehicle.Status.AVAILABLE,
    "in_stock": Vehicle.Status.AVAILABLE,
    "verfuegbar": Vehicle.Status.AVAILABLE,
    "verfügbar": Vehicle.Status.AVAILABLE,
    "sold": Vehicle.Status.SOLD,
    "verkauft": Vehicle.Status.SOLD,
}
TEXT_LIMITS = {"make": 60, "model": 100}
FIELDS = (
    "make",
    "model",
    "year",
    "condition",
    "price",
    "mileage_km",
    "listing_url",
    "photo_url",
    "status",
)
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{1,17}$")
_url = URLValidator(schemes=["http", "https"])


class InventoryUnreadable(Exception):
    """The body is not a feed at all (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InventoryInvalid(Exception):
    """Readable, but rows are unusable (HTTP 422); ``errors`` is keyed by row."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class InventoryResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sold: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "marked_sold": self.sold,
        }


# -- reading -----------------------------------------------------------------------------------


def feed_format(content_type: str) -> str | None:
    """ "csv", "json" or None (no reader) for a request's content type."""
    content_type = (content_type or "").lower()
    if content_type in CSV_TYPES:
        return "csv"
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        return "json"
    return None


def inventory_parse(body: bytes, *, fmt: str) -> tuple[list[dict[str, Any]], bool]:
    """The feed's rows as dicts with our field names, and whether it says it is complete."""
    if fmt == "csv":
        return _parse_csv(body), False
    return _parse_json(body)


def _parse_json(body: bytes) -> tuple[list[dict[str, Any]], bool]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InventoryUnreadable("body is not UTF-8") from None
    # PostgreSQL text cannot hold NUL: refused here, like a CSV with NUL bytes, instead of
    # failing at the save (a 500).
    if "\\u0000" in text:
        raise InventoryUnreadable("NUL characters (\\u0000) are not allowed")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise InventoryUnreadable("body is not valid JSON") from None
    complete = False
    if isinstance(data, dict):
        complete = data.get("complete") is True
        data = data.get("vehicles")
    if not isinstance(data, list):
        raise InventoryUnreadable('expected a list of vehicles or {"vehicles": [...]}')
    if len(data) > MAX_ROWS:
        raise InventoryUnreadable(f"more than {MAX_ROWS} vehicles in one feed")
    rows = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InventoryUnreadable(f"vehicles[{index}] is not an object")
        rows.append(_renamed(item))
    return rows, complete


def _decode(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        # Spreadsheet exports on German Windows machines.
        return body.decode("cp1252", errors="replace")


def _parse_csv(body: bytes) -> list[dict[str, Any]]:
    if b"\x00" in body:
        raise InventoryUnreadable("body is not text (NUL bytes)")
    text = _decode(body)
    first_line = text.split("\n", 1)[0]
    # Excel in German locales writes ";" (the comma is the decimal separator there).
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = reader.fieldnames or []
        if not any(_key(name) in ALIASES for name in header):
            raise InventoryUnreadable(
                "the first line must name the columns (stock_number, vin, make, model, ...)"
            )
        rows: list[dict[str, str]] = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise InventoryUnreadable(f"more than {MAX_ROWS} vehicles in one feed")
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue  # blank line
            rows.append(_renamed({k: v for k, v in row.items() if k is not None}))
    except csv.Error as exc:
        raise InventoryUnreadable(f"not a readable CSV file: {exc}") from None
    return rows


def _key(name: Any) -> str:
    return str(name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _renamed(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in item.items():
        target = ALIASES.get(_key(name))
        if target is not None and target not in out:
            out[target] = value
    return out


# -- checking ----------------------------------------------------------------------------------


def normalise_key(value: Any) -> str:
    """Stock numbers and VINs as stored and compared: trimmed, upper case."""
    return str(value or "").strip().upper()


def parse_price(value: Any) -> Decimal | None:
    """21990, "21990", "21.990", "21,990.00", "21.990,00 €" → Decimal; None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = re.sub(r"[^\d,.\-]", "", str(value))
    if not text:
        raise ValueError
    if "," in text and "." in text:
        # Whichever comes last is the decimal separator.
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "").replace(",", ".")
    elif "," in text or "." in text:
        sep = "," if "," in text else "."
        head, _sep, tail = text.rpartition(sep)
        # "21.990" and "21,990" are thousands; "21990,50" has cents.
        text = text.replace(sep, "") if len(tail) == 3 else f"{head.replace(sep, '')}.{tail}"
    return Decimal(text)


def _int(value: Any, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = int(str(value).strip().replace(".", "").replace(" ", ""))
    if not low <= number <= high:
        raise ValueError
    return number


def vehicle_clean(row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """One feed row as Vehicle field values (only the fields it names), and its problems."""
    errors: list[str] = []
    out: dict[str, Any] = {}
    nested = [name for name, value in row.items() if isinstance(value, dict | list)]
    if nested:
        out["stock_number"] = out["vin"] = ""
        return out, [f"{name}: a single value is expected" for name in nested]
    _clean_keys(row, out, errors)
    for name, limit in TEXT_LIMITS.items():
        if name in row:
            value = str(row[name] if row[name] is not None else "").strip()
            if len(value) > limit:
                errors.append(f"{name}: at most {limit} characters")
            out[name] = value[:limit]
    _clean_numbers(row, out, errors)
    if "condition" in row:
        condition = CONDITIONS.get(str(row["condition"] or "").strip().lower())
        if condition is None:
            errors.append("condition: new or used")
        else:
            out["condition"] = condition
    for name in ("listing_url", "photo_url"):
        if name in row:
            out[name] = _clean_url(name, row[name], errors)
    status = str(row.get("status") or "available").strip().lower()
    if status not in STATUSES:
        errors.append("status: available or sold")
    else:
        out["status"] = STATUSES[status]
    return out, errors


def _clean_keys(row: dict[str, Any], out: dict[str, Any], errors: list[str]) -> None:
    stock = normalise_key(row.get("stock_number"))
    vin = normalise_key(row.get("vin"))
    if not stock and not vin:
        errors.append("a stock number or a VIN is required")
    if len(stock) > 40:
        errors.append("stock_number: at most 40 characters")
    if vin and not _VIN.match(vin):
        errors.append(f"vin: {vin[:40]!r} is not a VIN (up to 17 letters and digits, no I, O, Q)")
    out["stock_number"], out["vin"] = stock, vin


def _clean_numbers(row: dict[str, Any], out: dict[str, Any], errors: list[str]) -> None:
    if "year" in row:
        try:
            out["year"] = _int(row["year"], 1900, timezone.now().year + 2)
        except (TypeError, ValueError):
            errors.append(f"year: {str(row['year'])[:20]!r} is not a model year")
    if "mileage_km" in row:
        try:
            out["mileage_km"] = _int(row["mileage_km"], 0, 5_000_000)
        except (TypeError, ValueError):
            errors.append(f"mileage_km: {str(row['mileage_km'])[:20]!r} is not a mileage")
    if "price" in row:
        try:
            price = parse_price(row["price"])
            if price is not None:
                price = price.quantize(Decimal("0.01"))
                if not 0 <= price < MAX_PRICE:
                    raise ValueError
            out["price"] = price
        except (TypeError, ValueError, InvalidOperation):
            errors.append(f"price: {str(row['price'])[:30]!r} is not a price")


def _clean_url(name: str, value: Any, errors: list[str]) -> str:
    url = str(value or "").strip()
    if url:
        try:
            _url(url)
            if len(url) > 500:
                raise ValidationError("too long")
        except ValidationError:
            errors.append(f"{name}: not an http(s) URL of at most 500 characters")
    return url


# -- applying ----------------------------------------------------------------------------------


def inventory_import(
    *, dealer: Dealer, rows: list[dict[str, Any]], complete: bool = False
) -> InventoryResult:
    """Apply a feed to the dealer's stock. Raises InventoryInvalid (nothing applied).

    ``complete``: the feed lists the whole stock, so available cars missing from it are sold.
    """
    cleaned, errors = _clean_all(rows)
    if complete and not cleaned and not errors:
        errors["feed"] = ["a complete feed without vehicles would mark every car sold"]
    if errors:
        raise InventoryInvalid(errors)
    now = timezone.now()
    result = InventoryResult()
    with transaction.atomic():
        # One feed at a time per dealer: two pushes inserting the same new stock number
        # would otherwise collide on the unique constraint half-way through.
        Dealer.objects.select_for_update().filter(pk=dealer.pk).first()
        stock = list(Vehicle.objects.filter(dealer=dealer))
        by_stock = {v.stock_number: v for v in stock if v.stock_number}
        by_vin = {v.vin: v for v in stock if v.vin}
        matched = _match_all(cleaned, by_stock, by_vin)
        seen: set[int] = set()
        new: list[Vehicle] = []
        changed: dict[int, Vehicle] = {}
        for values, vehicle in zip(cleaned, matched, strict=True):
            if vehicle is None:
                new.append(_new_vehicle(dealer, values, now))
                continue
            seen.add(vehicle.pk)
            if _apply(vehicle, values, now):
                changed[vehicle.pk] = vehicle
            elif vehicle.pk not in changed:
                result.unchanged += 1
        if complete:
            for vehicle in stock:
                if vehicle.pk not in seen and vehicle.is_available:
                    vehicle.status, vehicle.sold_at = Vehicle.Status.SOLD, now
                    changed[vehicle.pk] = vehicle
                    result.sold += 1
        Vehicle.objects.bulk_create(new, batch_size=500)
        for vehicle in changed.values():
            vehicle.updated_at = now
        Vehicle.objects.bulk_update(
            changed.values(),
            ["stock_number", "vin", *FIELDS, "sold_at", "updated_at"],
            batch_size=500,
        )
    result.created = len(new)
    result.updated = len(changed) - result.sold
    return result


def _clean_all(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    cleaned: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=1):
        values, problems = vehicle_clean(row)
        for key in ("stock_number", "vin"):
            if values[key]:
                earlier = first_row.setdefault((key, values[key]), number)
                if earlier != number:
                    problems.append(f"{key} {values[key]} is also in row {earlier}")
        if problems:
            errors[f"row {number}"] = problems
        cleaned.append(values)
    return cleaned, errors


def _match_all(
    cleaned: list[dict[str, Any]], by_stock: dict[str, Vehicle], by_vin: dict[str, Vehicle]
) -> list[Vehicle | None]:
    matched: list[Vehicle | None] = []
    errors: dict[str, list[str]] = {}
    for number, values in enumerate(cleaned, start=1):
        a = by_stock.get(values["stock_number"]) if values["stock_number"] else None
        b = by_vin.get(values["vin"]) if values["vin"] else None
        if a is not None and b is not None and a.pk != b.pk:
            errors[f"row {number}"] = [
                f"stock number {values['stock_number']} and VIN {values['vin']} belong to two "
                "different cars in stock"
            ]
        matched.append(a or b)
    if errors:
        raise InventoryInvalid(errors)
    return matched


def _new_vehicle(dealer: Dealer, values: dict[str, Any], now: dt.datetime) -> Vehicle:
    vehicle = Vehicle(dealer=dealer, **values)
    vehicle.first_seen_at = vehicle.updated_at = now
    if vehicle.status == Vehicle.Status.SOLD:
        vehicle.sold_at = now
    return vehicle


def _apply(vehicle: Vehicle, values: dict[str, Any], now: dt.datetime) -> bool:
    """Copy the row onto the car; True when anything changed. Fields a row leaves out keep
    their value; a blank stock number or VIN never erases a known one."""
    changed = False
    for name, value in values.items():
        if name in ("stock_number", "vin") and not value:
            continue
        if getattr(vehicle, name) != value:
            setattr(vehicle, name, value)
            changed = True
    if vehicle.status == Vehicle.Status.SOLD and vehicle.sold_at is None:
        vehicle.sold_at = now
    elif vehicle.status == Vehicle.Status.AVAILABLE and vehicle.sold_at is not None:
        vehicle.sold_at = None
    return changed
