"""vehicle_offer: what the first answer says about the customer's car."""

from __future__ import annotations

from decimal import Decimal

from dealers.inventory import inventory_import
from leads.models import Lead
from leads.offers import vehicle_offer


def lead_for(dealer, **fields) -> Lead:
    values = {
        "source": "website",
        "first_name": "Anna",
        "email": "anna@example.de",
        "vehicle_make": "Volkswagen",
        "vehicle_model": "Golf",
        "vehicle_year": 2023,
        "vehicle_stock_number": "A1234",
        "vehicle_vin": "WVWZZZCDZPW000001",
        "vehicle_price": Decimal("21990"),
    }
    values.update(fields)
    return Lead.objects.create(dealer=dealer, **values)


def stock_up(dealer, *rows):
    base = {"make": "Volkswagen", "condition": "used"}
    inventory_import(dealer=dealer, rows=[{**base, **row} for row in rows])


def test_a_car_in_stock_is_offered_as_available_with_the_feeds_details(dealer_a):
    stock_up(
        dealer_a,
        {
            "stock_number": "A1234",
            "model": "Golf",
            "year": 2023,
            "price": 21490,
            "listing_url": "https://nord.example/a1234",
            "photo_url": "https://nord.example/a1234.jpg",
        },
    )
    lead = lead_for(dealer_a, vehicle_price=Decimal("21990"))

    offer = vehicle_offer(lead=lead)

    assert offer == {
        "make": "Volkswagen",
        "model": "Golf",
        "year": 2023,
        "condition": "used",
        "price": Decimal("21490.00"),
        "mileage_km": None,
        "stock_number": "A1234",
        "vin": "WVWZZZCDZPW000001",
        "listing_url": "https://nord.example/a1234",
        "photo_url": "https://nord.example/a1234.jpg",
        "availability": "available",
        "similar": [],
    }


def test_a_car_is_matched_by_vin_when_the_portal_has_no_stock_number(dealer_a):
    stock_up(dealer_a, {"vin": "WVWZZZCDZPW000001", "model": "Golf", "price": 20990})

    offer = vehicle_offer(lead=lead_for(dealer_a, vehicle_stock_number=""))

    assert (offer["availability"], offer["price"]) == ("available", Decimal("20990.00"))


def test_a_sold_car_comes_with_two_similar_cars_in_stock(dealer_a):
    stock_up(
        dealer_a,
        {"stock_number": "A1234", "model": "Golf", "price": 21990, "status": "sold"},
        {"stock_number": "G1", "model": "Golf", "price": 26990},
        {"stock_number": "G2", "model": "Golf", "price": 22490},
        {"stock_number": "G3", "model": "Golf", "price": 18990, "status": "sold"},
        {"stock_number": "P1", "model": "Polo", "price": 21990},
    )

    offer = vehicle_offer(lead=lead_for(dealer_a))

    assert offer["availability"] == "sold"
    assert [(c["stock_number"], c["availability"]) for c in offer["similar"]] == [
        ("G2", "available"),
        ("G1", "available"),
    ]


def test_without_the_same_model_the_price_band_fills_in(dealer_a):
    stock_up(
        dealer_a,
        {"stock_number": "A1234", "model": "Golf", "price": 21990, "status": "sold"},
        {"stock_number": "G1", "model": "Golf", "price": 45990},
        {"stock_number": "S1", "make": "Seat", "model": "Leon", "price": 20490},
        {"stock_number": "T1", "make": "Tesla", "model": "Model 3", "price": 39990},
        {"stock_number": "O1", "make": "Opel", "model": "Astra", "price": 23990},
    )

    offer = vehicle_offer(lead=lead_for(dealer_a))

    assert [c["stock_number"] for c in offer["similar"]] == ["G1", "S1"]


def test_a_car_not_in_the_feed_is_offered_from_the_lead_with_unknown_availability(dealer_a):
    lead = lead_for(
        dealer_a,
        raw_payload={"vehicle": {"url": "https://portal.example/ad/1", "image": "ftp://no"}},
    )

    offer = vehicle_offer(lead=lead)

    assert offer["availability"] == "unknown"
    assert (offer["price"], offer["stock_number"]) == (Decimal("21990"), "A1234")
    assert (offer["listing_url"], offer["photo_url"]) == ("https://portal.example/ad/1", "")


def test_a_lead_without_a_car_has_no_offer(dealer_a):
    lead = lead_for(
        dealer_a,
        vehicle_make="",
        vehicle_model="",
        vehicle_year=None,
        vehicle_stock_number="",
        vehicle_vin="",
        vehicle_price=None,
    )

    assert vehicle_offer(lead=lead) is None


def test_another_dealers_stock_is_never_offered(dealer_a, dealer_b):
    stock_up(dealer_b, {"stock_number": "A1234", "model": "Golf", "price": 1})

    assert vehicle_offer(lead=lead_for(dealer_a))["availability"] == "unknown"
