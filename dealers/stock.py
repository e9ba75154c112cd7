"""Finding cars in the dealer's stock: the one a lead asks about, and others like it."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Func, Q

from dealers.inventory import normalise_key
from dealers.models import Dealer, Vehicle

SIMILAR_PRICE_BAND = Decimal("0.20")  # ± 20 % of the sold car's price


def vehicle_match(*, dealer: Dealer, stock_number: str = "", vin: str = "") -> Vehicle | None:
    """The car of the dealer's stock with this stock number, else this VIN."""
    stock_number, vin = normalise_key(stock_number), normalise_key(vin)
    match = Q()
    if stock_number:
        match |= Q(stock_number=stock_number)
    if vin:
        match |= Q(vin=vin)
    if not match:
        return None
    found = list(Vehicle.objects.filter(match, dealer=dealer)[:2])
    if len(found) == 2 and stock_number:
        # The stock number names the dealer's own car; a VIN typed into a portal may be stale.
        return next(v for v in found if v.stock_number == stock_number)
    return found[0] if found else None


class _Abs(Func):
    function = "ABS"


def vehicles_similar(*, vehicle: Vehicle, limit: int = 2) -> list[Vehicle]:
    """Cars in stock like ``vehicle``: the same make and model first, then the same price
    band (± 20 %), each closest in price first."""
    found: list[Vehicle] = []
    in_stock = Vehicle.objects.filter(dealer_id=vehicle.dealer_id).in_stock().exclude(pk=vehicle.pk)

    def closest(queryset) -> list[Vehicle]:
        exclude = [v.pk for v in found]
        queryset = queryset.exclude(pk__in=exclude)
        if vehicle.price is not None:
            queryset = queryset.annotate(distance=_Abs(F("price") - vehicle.price)).order_by(
                F("distance").asc(nulls_last=True), "pk"
            )
        else:
            queryset = queryset.order_by("price", "pk")
        return list(queryset[: limit - len(found)])

    if vehicle.make and vehicle.model:
        found += closest(in_stock.filter(make__iexact=vehicle.make, model__iexact=vehicle.model))
    if len(found) < limit and vehicle.price:
        band = vehicle.price * SIMILAR_PRICE_BAND
        found += closest(
            in_stock.filter(price__gte=vehicle.price - band, price__lte=vehicle.price + band)
        )
    return found
