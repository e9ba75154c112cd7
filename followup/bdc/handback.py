"""Hand-back: a lead the BDC took after hours goes back to a salesperson when the showroom
takes leads again (its previous salesperson, else the next turn of the round robin), unless
the BDC booked an appointment for it. The salesperson owns the active lead."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dealers.models import Dealer, Salesperson
from dealers.services import dealer_lock, salesperson_next
from followup.policy.calendar import closed_reason
from leads.models import Lead, LeadEvent

# Why the BDC has a lead that it only holds overnight ("handed on" by a salesperson stays).
AFTER_HOURS = ("after_hours", "after_bdc_hour", "nobody_available")
# Booked (appointment and later) stays with the BDC's booking; lost is the BDC's recovery.
HANDED_BACK_STATUSES = (Lead.Status.NEW, Lead.Status.CONTACTING, Lead.Status.REACHED)
HAND_BACK = "hand back"
BATCH = 100


def handback_candidates() -> QuerySet[Lead]:
    return Lead.objects.filter(
        bdc=True,
        bdc_reason__in=AFTER_HOURS,
        status__in=HANDED_BACK_STATUSES,
        is_test=False,
        erased_at=None,
    )


def takes_leads(dealer: Dealer, when: dt.datetime) -> bool:
    """Whether the showroom's salespeople take leads at ``when`` (the start of a shift)."""
    return (
        dealer.is_open(when)
        and not dealer.is_after_bdc_hour(when)
        and not closed_reason(dealer, when.astimezone(dealer.tz).date())
    )


def previous_salesperson(lead: Lead) -> Salesperson | None:
    """The salesperson of the customer's latest earlier lead at the dealer."""
    earlier = (
        Lead.objects.filter(
            dealer_id=lead.dealer_id, assigned_to__role=Salesperson.Role.SALESPERSON
        )
        .same_customer(phone=lead.phone, email=lead.email)
        .exclude(pk=lead.pk)
        .select_related("assigned_to__user", "assigned_to__dealer")
        .order_by("-received_at")
        .first()
    )
    return earlier.assigned_to if earlier is not None else None


def _takes(person: Salesperson | None, when: dt.datetime) -> bool:
    return (
        person is not None
        and person.role == Salesperson.Role.SALESPERSON
        and person.user.is_active
        and person.is_working(when)
    )


def lead_hand_back(*, lead: Lead, now: dt.datetime | None = None) -> Salesperson | None:
    """Give ``lead`` back to a salesperson now; None if it stays (booked or moved meanwhile,
    or nobody on shift). Logged on the lead's timeline."""
    now = now or timezone.now()
    previous = previous_salesperson(lead)
    with transaction.atomic():
        dealer_lock(lead.dealer)
        locked = handback_candidates().select_for_update(no_key=True).filter(pk=lead.pk).first()
        if locked is None:
            return None  # the BDC booked it, or somebody else moved it first
        person = previous if _takes(previous, now) else None
        if person is None:
            person = salesperson_next(dealer=lead.dealer, when=now)
        if person is None:
            return None
        Lead.objects.filter(pk=lead.pk).update(
            assigned_to=person, bdc=False, bdc_reason="", updated_at=now
        )
        locked.log(
            LeadEvent.Kind.ASSIGNED,
            at=now,
            data={
                "to": person.pk,
                "name": person.display_name,
                "reason": HAND_BACK,
                "returning": person == previous,
            },
        )
    return person


def handbacks_run(*, now: dt.datetime | None = None) -> int:
    """Hand back every waiting lead of every dealer whose showroom takes leads now."""
    now = now or timezone.now()
    waiting = list(
        handback_candidates().select_related("dealer").order_by("received_at")[: BATCH * 5]
    )
    open_dealers: dict[int, bool] = {}
    made = 0
    for lead in waiting:
        if lead.dealer_id not in open_dealers:
            open_dealers[lead.dealer_id] = takes_leads(lead.dealer, now)
        if open_dealers[lead.dealer_id] and made < BATCH:
            made += lead_hand_back(lead=lead, now=now) is not None
    return made
