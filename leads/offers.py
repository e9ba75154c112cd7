"""What the first answer says about the customer's car: from the dealer's stock when the
lead's stock number or VIN is in it, else from what the lead itself carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dealers.models import Vehicle
from dealers.stock import vehicle_match, vehicles_similar
from leads.models import Lead

AVAILABLE, SOLD, UNKNOWN = "available", "sold", "unknown"


def vehicle_offer(*, lead: Lead) -> dict[str, Any] | None:
    """The lead's car as a message can show it, or None when the lead names no car.

    Keys: make, model, year, condition, price (Decimal or None), mileage_km, stock_number,
    vin, listing_url, photo_url, availability ("available", "sold" or "unknown": not in the
    dealer's stock feed) and similar: up to two cars in stock like a sold one (same keys,
    without similar), else [].
    """
    vehicle = vehicle_match(
        dealer=lead.dealer, stock_number=lead.vehicle_stock_number, vin=lead.vehicle_vin
    )
    if vehicle is None:
        return _from_lead(lead)
    offer = vehicle_card(vehicle)
    links = _lead_links(lead)
    for key in ("listing_url", "photo_url"):
        offer[key] = offer[key] or links.get(key, "")
    # Fill what the feed leaves out from the lead (a feed with stock numbers and prices only).
    for key, value in _lead_vehicle(lead).items():
        if offer.get(key) in (None, ""):
            offer[key] = value
    offer["similar"] = (
        [vehicle_card(v) for v in vehicles_similar(vehicle=vehicle)]
        if not vehicle.is_available
        else []
    )
    return offer


def vehicle_card(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "make": vehicle.make,
        "model": vehicle.model,
        "year": vehicle.year,
        "condition": vehicle.condition,
        "price": vehicle.price,
        "mileage_km": vehicle.mileage_km,
        "stock_number": vehicle.stock_number,
        "vin": vehicle.vin,
        "listing_url": vehicle.listing_url,
        "photo_url": vehicle.photo_url,
        "availability": AVAILABLE if vehicle.is_available else SOLD,
    }


def _lead_vehicle(lead: Lead) -> dict[str, Any]:
    return {
        "make": lead.vehicle_make,
        "model": lead.vehicle_model,
        "year": lead.vehicle_year,
        "condition": lead.vehicle_condition,
        "price": lead.vehicle_price,
        "stock_number": lead.vehicle_stock_number,
        "vin": lead.vehicle_vin,
    }


def _from_lead(lead: Lead) -> dict[str, Any] | None:
    values = _lead_vehicle(lead)
    if not any(v not in (None, "") for v in values.values()):
        return None
    return {
        **values,
        "price": Decimal(values["price"]) if values["price"] is not None else None,
        "mileage_km": None,
        **_lead_links(lead),
        "availability": UNKNOWN,
        "similar": [],
    }


def _lead_links(lead: Lead) -> dict[str, str]:
    """Listing and photo links a portal sent with the lead (kept in the raw payload)."""
    vehicle = (lead.raw_payload or {}).get("vehicle")
    vehicle = vehicle if isinstance(vehicle, dict) else {}
    out = {"listing_url": "", "photo_url": ""}
    for key, names in (
        ("listing_url", ("listing_url", "url", "link")),
        ("photo_url", ("photo_url", "image_url", "image", "photo")),
    ):
        for name in names:
            value = vehicle.get(name)
            if isinstance(value, str) and value.startswith(("https://", "http://")):
                out[key] = value[:500]
                break
    return out
