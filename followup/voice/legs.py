"""Whom to ring, the legs rung for an attempt, and escalation to the next person when a leg
ends without a bridge."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from followup import queue
from followup.models import Attempt, Call
from followup.providers import voice_provider
from leads.models import Lead, LeadEvent

RING_SECONDS = 20  # no answer within this → the next salesperson
CUSTOMER_RING_SECONDS = 30
MAX_TRIES = 5
# Looks at the provider for a leg whose create went unanswered before deciding, and the
# growing pause between them (5 s after the first unknown, then 10, 20, 30 s: ~1 min).
MAX_CHECKS = 4
CHECK_BACKOFF_SECONDS = 10


def public_url(name: str, call_id: int) -> str:
    return settings.LEADFLOW_PUBLIC_URL + reverse(name, args=[call_id])


def _target_bdc(attempt: Attempt, tried_bdc: bool) -> dict | None:
    if tried_bdc or not attempt.lead.dealer.bdc_phone:
        return None
    return {"salesperson": None, "is_bdc": True, "to": attempt.lead.dealer.bdc_phone}


def ring_next_target(
    *, attempt: Attempt, force_bdc: bool = False, first: bool = False
) -> dict | None:
    """Who to ring next for ``attempt``, given the legs already rung (none when ``first``)."""
    lead = attempt.lead
    dealer = lead.dealer
    tried: set[int] = set()
    tried_bdc = False
    if not first:
        legs = attempt.calls.filter(leg=Call.Leg.AGENT, parent=None)
        rung = list(legs.values_list("salesperson_id", "is_bdc"))
        tried = {pk for pk, _bdc in rung if pk is not None}
        tried_bdc = any(bdc for _pk, bdc in rung)
    if attempt.requested_by_id is not None:
        person = attempt.requested_by
        if tried or tried_bdc or person is None or not person.phone:
            return None
        return {"salesperson": person, "is_bdc": False, "to": person.phone}
    now = timezone.now()
    if force_bdc or attempt.purpose == "recovery" or lead.bdc or dealer.routes_to_bdc(now):
        return _target_bdc(attempt, tried_bdc)
    sellers = [
        s
        for s in dealer.staff.on_duty_sellers()
        .select_related("user", "dealer")
        .order_by("round_robin_turn", "pk")
        if s.phone and s.pk not in tried and s.is_working(now)
    ]
    # The lead belongs to its salesperson: ring them first, then the others on duty.
    sellers.sort(key=lambda s: s.pk != lead.assigned_to_id)
    if sellers:
        return {"salesperson": sellers[0], "is_bdc": False, "to": sellers[0].phone}
    return _target_bdc(attempt, tried_bdc)


def leg_create(
    *, attempt: Attempt, target: dict, first: bool = False, claimed: bool = False
) -> Call:
    seq = (
        1
        if first
        else (attempt.calls.filter(parent=None).aggregate(top=Max("seq"))["top"] or 0) + 1
    )
    return Call.objects.create(
        dealer_id=attempt.dealer_id,
        lead_id=attempt.lead_id,
        attempt=attempt,
        seq=seq,
        leg=Call.Leg.AGENT,
        salesperson=target["salesperson"],
        is_bdc=target["is_bdc"],
        to=target["to"],
        from_number=attempt.lead.dealer.caller_id,
        provider=voice_provider().name,
        status=Call.Status.DIALING if claimed else Call.Status.PENDING,
        claimed_at=timezone.now() if claimed else None,
        tries=1 if claimed else 0,
    )


def ring_escalate(*, call: Call) -> Call | None:
    """The leg ended without a bridge: ring the next on-duty salesperson, then the BDC."""
    with transaction.atomic():
        if not Call.objects.filter(pk=call.pk, escalated=False).update(escalated=True):
            return None  # a duplicate callback got here first
        attempt = Attempt.objects.select_related("requested_by").get(pk=call.attempt_id)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            return None
        attempt.lead = Lead.objects.select_related("dealer").get(pk=call.lead_id)
        target = None
        # A wrong number: nobody else is rung for a call that cannot reach the customer.
        reachable = not attempt.lead.opted_out and not attempt.lead.phone_is_invalid
        if reachable and attempt.lead.status not in (
            Lead.Status.REACHED,
            Lead.Status.LOST,
        ):
            target = ring_next_target(attempt=attempt, force_bdc=call.outcome == "bdc")
        if target is None:
            if call.status == Call.Status.FAILED:
                # The last number could not be called at all: say why on the timeline.
                attempt.finish(outcome="failed", status=Attempt.Status.FAILED, reason=call.error)
            else:
                attempt.finish(outcome="nobody answered")
            attempt.lead.log(
                LeadEvent.Kind.CALL,
                data={"attempt": attempt.pk, "outcome": attempt.outcome, "reason": attempt.reason},
            )
            recovery_closed(attempt=attempt)
            return None
        nxt = leg_create(attempt=attempt, target=target)
        attempt.lead.log(
            LeadEvent.Kind.CALL,
            data={"call": nxt.pk, "event": "escalated", "from": call.who, "to": nxt.who},
        )
        queue.enqueue_on_commit(queue.RING_DIAL, nxt.pk)
        if nxt.is_bdc:
            queue.push_on_commit(lead_id=attempt.lead.pk, kind="escalation")
    return nxt


def call_get(call_id: int) -> Call | None:
    return (
        Call.objects.filter(pk=call_id)
        .select_related("lead__dealer", "salesperson__user", "attempt")
        .first()
    )


def recovery_closed(*, attempt: Attempt) -> None:
    """The BDC's recovery call did not reach the customer: the lead is lost again (its one
    recovery call is spent)."""
    if attempt.purpose != "recovery":
        return
    with transaction.atomic():
        lead = Lead.objects.select_for_update(no_key=True).get(pk=attempt.lead_id)
        if lead.status == Lead.Status.CONTACTING:
            lead.move_to(Lead.Status.LOST, reason="no contact", note="BDC recovery call")
