from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from dealers.models import Dealer, Salesperson


@dataclass(frozen=True)
class Routing:
    salesperson: Salesperson | None
    bdc_reason: str = ""  # "after_hours", "after_bdc_hour", "nobody_available" or ""


def dealer_lock(dealer: Dealer) -> None:
    """Serialise intake for one dealer until the surrounding transaction ends."""
    assert transaction.get_connection().in_atomic_block, "dealer_lock needs a transaction"
    # NO KEY UPDATE serialises intake just the same, but lets rows that merely reference the
    # dealer (a follow-up attempt, a call) be inserted meanwhile instead of queueing behind it.
    list(Dealer.objects.select_for_update(no_key=True).filter(pk=dealer.pk).values_list("pk"))


def _staff(dealer: Dealer) -> list[Salesperson]:
    staff = list(Salesperson.objects.filter(dealer=dealer).select_related("user"))
    for person in staff:
        person.dealer = dealer  # spare a query per person in is_working()
    return staff


def _takes_leads(person: Salesperson, when: dt.datetime) -> bool:
    return (
        person.role == Salesperson.Role.SALESPERSON
        and person.user.is_active
        and person.is_working(when)
    )


def salesperson_next(
    *,
    dealer: Dealer,
    when: dt.datetime,
    exclude: tuple[int, ...] = (),
    staff: list[Salesperson] | None = None,
) -> Salesperson | None:
    """Take the next turn of the round robin among sellers working at ``when``.

    Must run inside a transaction holding the dealer's lock (``dealer_lock``): that lock is what
    makes concurrent leads alternate instead of picking the same person twice.
    """
    staff = _staff(dealer) if staff is None else staff
    working = [p for p in staff if p.pk not in exclude and _takes_leads(p, when)]
    if not working:
        return None
    chosen = min(working, key=lambda p: (p.round_robin_turn, p.pk))
    chosen.round_robin_turn = max(p.round_robin_turn for p in staff) + 1
    Salesperson.objects.filter(pk=chosen.pk).update(round_robin_turn=chosen.round_robin_turn)
    return chosen


def lead_route(*, dealer: Dealer, when: dt.datetime, returning_to_id: int | None = None) -> Routing:
    """Who takes a new lead: the BDC after hours, else the returning customer's salesperson,
    else the next turn of the round robin."""
    if not dealer.is_open(when):
        return Routing(None, "after_hours")
    if dealer.is_after_bdc_hour(when):
        return Routing(None, "after_bdc_hour")
    staff = _staff(dealer)
    returning = next((p for p in staff if p.pk == returning_to_id), None)
    if returning is not None and _takes_leads(returning, when):
        return Routing(returning)
    chosen = salesperson_next(dealer=dealer, when=when, staff=staff)
    if chosen is None:
        return Routing(None, "nobody_available")
    return Routing(chosen)
