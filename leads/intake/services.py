"""Storing a lead exactly once: a new lead, a duplicate of one already stored, or a repeat
inquiry joining the customer's open lead; then routed to a salesperson."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dealers.models import Dealer, Salesperson
from dealers.services import Routing, dealer_lock, lead_route
from leads.intake.records import (
    IntakeResult,
)
from leads.intake.validation import clean_lead, payload_clean
from leads.models import IntakeRecord, Lead, LeadEvent
from leads.signals import lead_received

# A known customer asking again within this window joins their open lead instead of opening a
# second one (and a second salesperson calling the same person).
REPEAT_WINDOW = dt.timedelta(days=30)


def lead_receive(
    *, dealer: Dealer, data: dict[str, Any], record: IntakeRecord, default_source: str
) -> IntakeResult:
    """Store a lead exactly once, or join the customer's open lead, and route it.

    Raises LeadInvalid (422) before touching the database when the values are unusable.
    """
    # NUL characters and lone surrogates (valid JSON escapes) would fail the INSERT: cleaned.
    data = payload_clean(data)
    fields = clean_lead(data, region=dealer.country)
    fields["source"] = fields["source"] or default_source
    now = timezone.now()
    with transaction.atomic():
        # One intake at a time per dealer: duplicates, repeat inquiries and the round robin are
        # then decided on a consistent view, however many copies arrive at once.
        dealer_lock(dealer)
        result = _lead_store(dealer=dealer, fields=fields, raw=data, record=record, now=now)
        record.outcome = result.outcome
        record.status_code = result.status_code
        record.lead = result.lead
        record.source = fields["source"]
        record.external_id = fields["external_id"]
        record.error = ""
        record.errors = {}
        record.save(
            update_fields=[
                "outcome",
                "status_code",
                "lead",
                "source",
                "external_id",
                "error",
                "errors",
            ]
        )
    return result


# What intake must know before storing, in one statement: the lead this request's copy already
# became, the customer's open lead to join, the salesperson who looked after them before. Raw SQL
# because it runs for every lead: the same query through the ORM (three subqueries) cost more
# Python time to build than PostgreSQL takes to run it, and a fixed text is prepared once per
# connection. An empty phone, email or external id is passed as NULL, which matches nothing.
_OPEN = ", ".join(["%s"] * len(Lead.OPEN_STATUSES))
_CUSTOMER = "dealer_id = %s AND (phone = %s OR email = %s) AND is_test = %s"
LEAD_LOOKUP_SQL = f"""
SELECT
  (SELECT lead_id FROM leads_intakerecord
   WHERE dealer_id = %s AND source = %s AND external_id = %s AND lead_id IS NOT NULL
     AND id <> %s
   LIMIT 1),
  (SELECT id FROM leads_lead
   WHERE {_CUSTOMER} AND status IN ({_OPEN}) AND received_at >= %s
   ORDER BY received_at DESC LIMIT 1),
  (SELECT assigned_to_id FROM leads_lead
   WHERE {_CUSTOMER} AND assigned_to_id IS NOT NULL
   ORDER BY received_at DESC LIMIT 1)
"""


def _lead_lookup(
    *, dealer: Dealer, fields: dict[str, Any], record: IntakeRecord, now: dt.datetime
) -> tuple[int | None, int | None, int | None]:
    """(seen lead, open lead, returning salesperson) for LEAD_LOOKUP_SQL.

    Runs after dealer_lock as a statement of its own, so it sees what the previous holder of the
    lock committed. A portal's test lead (often the agency's own phone number) must neither
    restart the follow-up of a real customer's lead nor keep a real inquiry from being contacted.
    """
    customer = [dealer.pk, fields["phone"] or None, fields["email"] or None, fields["is_test"]]
    since = connection.ops.adapt_datetimefield_value(now - REPEAT_WINDOW)
    params = [
        *(dealer.pk, fields["source"], fields["external_id"] or None, record.pk),
        *customer,
        *(str(status) for status in Lead.OPEN_STATUSES),
        since,
        *customer,
    ]
    with connection.cursor() as cursor:
        cursor.execute(LEAD_LOOKUP_SQL, params)
        seen, open_lead, returning = cursor.fetchone()
    return seen, open_lead, returning


def _lead_store(
    *,
    dealer: Dealer,
    fields: dict[str, Any],
    raw: dict[str, Any],
    record: IntakeRecord,
    now: dt.datetime,
) -> IntakeResult:
    source, external_id = fields["source"], fields["external_id"]
    seen_id, open_id, returning_to_id = _lead_lookup(
        dealer=dealer, fields=fields, record=record, now=now
    )
    if seen_id is not None:
        return IntakeResult(Lead.objects.get(pk=seen_id), IntakeRecord.Outcome.DUPLICATE)

    if open_id is not None:
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("assigned_to__user")
            .get(pk=open_id)
        )
        _lead_join(lead=lead, fields=fields, record=record, now=now)
        return IntakeResult(lead, IntakeRecord.Outcome.JOINED)

    routing = lead_route(dealer=dealer, when=now, returning_to_id=returning_to_id)
    lead = Lead.objects.create(
        dealer=dealer,
        received_at=now,
        sources=[source],
        raw_payload=raw,
        assigned_to=routing.salesperson,
        bdc=routing.salesperson is None,
        bdc_reason=routing.bdc_reason,
        **fields,
    )
    events = [
        LeadEvent(
            lead=lead,
            dealer=dealer,
            kind=LeadEvent.Kind.RECEIVED,
            at=now,
            data={"source": source, "external_id": external_id, "intake": record.pk},
        ),
        _routing_event(lead=lead, routing=routing, at=now, returning=returning_to_id is not None),
    ]
    LeadEvent.objects.bulk_create(events)
    lead_received.send(sender=Lead, lead=lead, repeat=False)
    return IntakeResult(lead, IntakeRecord.Outcome.CREATED)


def _routing_event(*, lead: Lead, routing: Routing, at: dt.datetime, returning: bool) -> LeadEvent:
    if routing.salesperson is None:
        return LeadEvent(
            lead=lead,
            dealer_id=lead.dealer_id,
            kind=LeadEvent.Kind.BDC,
            at=at,
            data={"reason": routing.bdc_reason},
        )
    person = routing.salesperson
    return LeadEvent(
        lead=lead,
        dealer_id=lead.dealer_id,
        kind=LeadEvent.Kind.ASSIGNED,
        at=at,
        data={
            "to": person.pk,
            "name": person.display_name,
            "returning": returning and person.pk == lead.assigned_to_id,
        },
    )


def _lead_join(
    *, lead: Lead, fields: dict[str, Any], record: IntakeRecord, now: dt.datetime
) -> None:
    source = fields["source"]
    changed = ["updated_at"]
    if source not in lead.sources:
        lead.sources = [*lead.sources, source]
        changed.append("sources")
    # A new number replaces one found to be wrong (it lifts the block on calls and WhatsApp).
    if fields.get("phone") and lead.phone_is_invalid and fields["phone"] != lead.phone:
        lead.phone = fields["phone"]
        changed.append("phone")
    # Fill in what the first inquiry lacked, never overwrite what the customer told us before.
    for name in ("phone", "email", "first_name", "last_name", "vehicle_make", "vehicle_model"):
        if fields.get(name) and not getattr(lead, name):
            setattr(lead, name, fields[name])
            changed.append(name)
    lead.save(update_fields=changed)
    lead.log(
        LeadEvent.Kind.REPEAT_INQUIRY,
        at=now,
        note=fields["message"],
        data={
            "source": source,
            "external_id": fields["external_id"],
            "intake": record.pk,
            "vehicle": " ".join(p for p in (fields["vehicle_make"], fields["vehicle_model"]) if p),
        },
    )
    lead_received.send(sender=Lead, lead=lead, repeat=True)


def lead_assign(*, lead: Lead, when: dt.datetime, by: Salesperson | None = None) -> Routing:
    """Route an existing lead again (e.g. a lead the BDC hands back) and log it."""
    routing = lead_route(dealer=lead.dealer, when=when)
    lead.assigned_to = routing.salesperson
    lead.bdc = routing.salesperson is None
    lead.bdc_reason = routing.bdc_reason
    lead.save(update_fields=["assigned_to", "bdc", "bdc_reason", "updated_at"])
    event = _routing_event(lead=lead, routing=routing, at=when, returning=False)
    event.actor = by
    event.save()
    return routing
