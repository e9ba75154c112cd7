from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from dealers.models import Dealer, Salesperson


@dataclass(frozen=True)
class Routing:
    salesperson: Salesperson | None
    bdc_reason: str = ""  # "after_hours", "after_bdc_hour", "nobody_available" or ""


def salesperson_next(
    *, dealer: Dealer, when: dt.datetime, exclude: tuple[int, ...] = ()
) -> Salesperson | None:
    """Take the next turn of the round robin among sellers working at ``when``.

    Must run inside a transaction holding the dealer's row lock (``dealer_lock``): that lock is
    what makes concurrent leads alternate instead of picking the same person twice.
    """
    staff = list(
        dealer.staff.on_duty_sellers().exclude(pk__in=exclude).select_related("user", "dealer")
    )
    working = [s for s in staff if s.is_working(when)]
    if not working:
        return None
    chosen = min(working, key=lambda s: (s.round_robin_turn, s.pk))
    top = dealer.staff.aggregate(top=Max("round_robin_turn"))["top"] or 0
    chosen.round_robin_turn = top + 1
    chosen.save(update_fields=["round_robin_turn"])
    return chosen


def dealer_lock(dealer: Dealer) -> Dealer:
    """Serialise intake for one dealer until the surrounding transaction ends."""
    assert transaction.get_connection().in_atomic_block, "dealer_lock needs a transaction"
    # NO KEY UPDATE serialises intake just the same, but lets rows that merely reference the
    # dealer (a follow-up attempt, a call) be inserted meanwhile instead of queueing behind it.
    return Dealer.objects.select_for_update(no_key=True).get(pk=dealer.pk)


def lead_route(
    *, dealer: Dealer, when: dt.datetime, returning_to: Salesperson | None = None
) -> Routing:
    """Who takes a new lead: the BDC after hours, else the returning customer's salesperson,
    else the next turn of the round robin."""
    if not dealer.is_open(when):
        return Routing(None, "after_hours")
    if dealer.is_after_bdc_hour(when):
        return Routing(None, "after_bdc_hour")
    if (
        returning_to is not None
        and returning_to.is_working(when)
        and (returning_to.role == Salesperson.Role.SALESPERSON and returning_to.user.is_active)
    ):
        return Routing(returning_to)
    chosen = salesperson_next(dealer=dealer, when=when)
    if chosen is None:
        return Routing(None, "nobody_available")
    return Routing(chosen)
