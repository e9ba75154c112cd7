"""Re-offer: a lead its salesperson has not touched within the dealer's ``reoffer_minutes``
(counted in opening hours) is offered to the next available salesperson — assigned to them
and rung — and when nobody else is on shift, to the BDC. Every move is on the timeline.

"Touched" is anything the salesperson did on the lead since it became theirs: an answered
ring, a note, an outcome, a message, a status change.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from dealers import hours
from dealers.models import Dealer, Salesperson
from dealers.services import dealer_lock, salesperson_next
from followup import queue
from followup.bdc.handback import takes_leads
from followup.models import Attempt, Call, HoursRule
from followup.policy.calendar import closed_reason
from leads.labels import action_code
from leads.models import Lead, LeadEvent

REOFFER = "re-offer"
UNTOUCHED_STATUSES = (Lead.Status.NEW, Lead.Status.CONTACTING)
# Older leads are the cadence's and the queue's business, not a re-offer's.
HORIZON = dt.timedelta(days=2)
BATCH = 100


def open_minutes(dealer: Dealer, start: dt.datetime, end: dt.datetime) -> float:
    """Minutes of opening hours between ``start`` and ``end`` (holidays and closed days
    count as closed)."""
    tz = dealer.tz
    total = 0.0
    day = start.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        if not closed_reason(dealer, day):
            for opens, closes in hours.day_spans(dealer.opening_hours, day):
                low = max(dt.datetime.combine(day, opens, tzinfo=tz), start)
                high = min(dt.datetime.combine(day, closes, tzinfo=tz), end)
                if high > low:
                    total += (high - low).total_seconds() / 60
        day += dt.timedelta(days=1)
    return total


def untouched_leads(*, now: dt.datetime) -> QuerySet[Lead]:
    """Assigned, unreached leads whose salesperson did nothing on them since they got them,
    annotated with ``assigned_at``."""
    assigned = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.ASSIGNED)
    leads = Lead.objects.filter(
        status__in=UNTOUCHED_STATUSES,
        assigned_to__isnull=False,
        assigned_to__role=Salesperson.Role.SALESPERSON,
        bdc=False,
        is_test=False,
        erased_at=None,
        opted_out_at=None,
        received_at__gte=now - HORIZON,
    ).annotate(
        assigned_at=Coalesce(
            Subquery(assigned.order_by("-at", "-id").values("at")[:1]), F("received_at")
        )
    )
    acted = LeadEvent.objects.filter(
        lead=OuterRef("pk"), actor=OuterRef("assigned_to"), at__gte=OuterRef("assigned_at")
    )
    answered = Call.objects.filter(
        lead=OuterRef("pk"),
        salesperson=OuterRef("assigned_to"),
        answered_at__gte=OuterRef("assigned_at"),
    )
    return leads.filter(~Exists(acted), ~Exists(answered))


def _offered(lead: Lead) -> set[int]:
    """Everybody the lead was already offered to (its owners so far)."""
    return {
        data["to"]
        for data in lead.events.filter(kind=LeadEvent.Kind.ASSIGNED).values_list("data", flat=True)
        if isinstance(data, dict) and isinstance(data.get("to"), int)
    }


def _assigned_at(lead: Lead) -> dt.datetime:
    return getattr(lead, "assigned_at", None) or lead.received_at


def _answered_by(
    *, lead: Lead, previous: Salesperson, since: dt.datetime, now: dt.datetime
) -> Salesperson | None:
    leg = (
        Call.objects.filter(lead=lead, answered_at__gte=since, salesperson__isnull=False)
        .exclude(salesperson=previous)
        .select_related("salesperson__user", "salesperson__dealer")
        .order_by("answered_at")
        .first()
    )
    person = leg.salesperson if leg is not None else None
    if person is None or person.role != Salesperson.Role.SALESPERSON:
        return None
    return person if person.user.is_active and person.is_working(now) else None


def lead_reoffer(*, lead: Lead, now: dt.datetime | None = None) -> Salesperson | None:
    """Offer ``lead`` to the next available salesperson (None: it went to the BDC, or it was
    touched or moved meanwhile and stays)."""
    now = now or timezone.now()
    previous = lead.assigned_to
    with transaction.atomic():
        dealer_lock(lead.dealer)
        locked = (
            Lead.objects.select_for_update(no_key=True)
            .filter(pk=lead.pk, assigned_to=previous, bdc=False, status__in=UNTOUCHED_STATUSES)
            .first()
        )
        if locked is None or previous is None:
            return None
        # A colleague who answered the ring for this lead (it passed on to them) gets it;
        # else the round robin among those it was not offered to yet.
        person = _answered_by(lead=locked, previous=previous, since=_assigned_at(lead), now=now)
        if person is None:
            exclude = tuple(_offered(locked) | {previous.pk})
            person = salesperson_next(dealer=lead.dealer, when=now, exclude=exclude)
        moved = {"from": previous.pk, "from_name": previous.display_name, "reason": REOFFER}
        if person is not None:
            Lead.objects.filter(pk=lead.pk).update(assigned_to=person, updated_at=now)
            locked.log(
                LeadEvent.Kind.ASSIGNED,
                at=now,
                data={"to": person.pk, "name": person.display_name, **moved},
            )
            queue.push_on_commit(lead_id=lead.pk, kind="reoffer")
        else:
            Lead.objects.filter(pk=lead.pk).update(
                assigned_to=None, bdc=True, bdc_reason=REOFFER, updated_at=now
            )
            locked.log(LeadEvent.Kind.BDC, at=now, data=moved)
        if locked.message_only or not locked.phone or locked.phone_is_invalid:
            return person  # a message lead: the queue offers it, no phone rings
        # Ring whoever has it now (the salesperson first, the BDC for a BDC lead); the
        # dispatcher hands it out, the gate keeps the gap to the customer's last call.
        count = locked.attempts.filter(key__startswith="reoffer:").count()
        Attempt.objects.create(
            dealer_id=lead.dealer_id,
            lead=locked,
            key=f"reoffer:{count + 1}",
            channel=Attempt.Channel.PHONE,
            purpose="followup",
            label=action_code("call"),
            hours_rule=HoursRule.OPEN,
            due_at=now,
        )
    return person


def reoffers_run(*, now: dt.datetime | None = None) -> int:
    """Re-offer every lead left untouched past its dealer's ``reoffer_minutes``."""
    now = now or timezone.now()
    waiting = list(
        untouched_leads(now=now)
        .select_related("dealer", "assigned_to__user")
        .order_by("received_at")[:BATCH]
    )
    made = 0
    for lead in waiting:
        dealer = lead.dealer
        if not takes_leads(dealer, now):
            continue
        assigned_at = lead.assigned_at  # type: ignore[attr-defined]  # untouched_leads annotates it
        if open_minutes(dealer, assigned_at, now) >= dealer.reoffer_minutes:
            lead_reoffer(lead=lead, now=now)
            made += 1
    return made
