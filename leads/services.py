from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, Salesperson
from dealers.services import Routing, dealer_lock, lead_route
from leads.models import IntakeRecord, Lead, LeadEvent
from leads.parsers import PayloadError
from leads.parsers.json_lead import parse_json_lead
from leads.signals import lead_received
from leads.validation import LeadInvalid, clean_lead

log = logging.getLogger(__name__)

# A known customer asking again within this window joins their open lead instead of opening a
# second one (and a second salesperson calling the same person).
REPEAT_WINDOW = dt.timedelta(days=30)

# Readers for IntakeRecord.format, used on receipt and on replay. Portal adapters add theirs.
PARSERS: dict[str, Callable[[bytes], dict[str, Any]]] = {"json": parse_json_lead}


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    outcome: str  # IntakeRecord.Outcome

    @property
    def status_code(self) -> int:
        return 201 if self.outcome == IntakeRecord.Outcome.CREATED else 200


def intake_record_start(
    *,
    dealer: Dealer | None,
    dealer_slug: str,
    source: str,
    fmt: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    body_size: int | None = None,
) -> IntakeRecord:
    """Write the request down before anything judges it (autocommitted on its own)."""
    return IntakeRecord.objects.create(
        dealer=dealer,
        dealer_slug=dealer_slug[:50],
        source=source,
        format=fmt,
        content_type=content_type[:200],
        headers=headers,
        body=body.decode("utf-8", errors="replace"),
        body_size=len(body) if body_size is None else body_size,
    )


def intake_record_reject(
    *,
    record: IntakeRecord,
    status_code: int,
    error: str,
    errors: dict[str, list[str]] | None = None,
) -> IntakeRecord:
    record.outcome = IntakeRecord.Outcome.REJECTED
    record.status_code = status_code
    record.error = error
    record.errors = errors or {}
    record.save(update_fields=["outcome", "status_code", "error", "errors"])
    return record


def intake_record_fail(*, record: IntakeRecord, error: str) -> IntakeRecord:
    record.outcome = IntakeRecord.Outcome.FAILED
    record.status_code = 500
    record.error = error
    record.save(update_fields=["outcome", "status_code", "error"])
    return record


def lead_receive(
    *, dealer: Dealer, data: dict[str, Any], record: IntakeRecord, default_source: str
) -> IntakeResult:
    """Store a lead exactly once, or join the customer's open lead, and route it.

    Raises LeadInvalid (422) before touching the database when the values are unusable.
    """
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


def _lead_store(
    *,
    dealer: Dealer,
    fields: dict[str, Any],
    raw: dict[str, Any],
    record: IntakeRecord,
    now: dt.datetime,
) -> IntakeResult:
    source, external_id = fields["source"], fields["external_id"]
    if external_id:
        seen = list(
            IntakeRecord.objects.filter(
                dealer=dealer, source=source, external_id=external_id, lead__isnull=False
            )
            .exclude(pk=record.pk)
            .values_list("lead_id", flat=True)[:1]
        )
        if seen:
            return IntakeResult(Lead.objects.get(pk=seen[0]), IntakeRecord.Outcome.DUPLICATE)

    # The customer's earlier leads, newest first: an open one to join, or the salesperson
    # who looked after them before. One narrow query; intake is on the hot path.
    history = list(
        Lead.objects.for_dealer(dealer)
        .same_customer(phone=fields["phone"], email=fields["email"])
        .order_by("-received_at")
        .values_list("pk", "status", "received_at", "assigned_to_id")[:20]
    )
    open_id = next(
        (
            pk
            for pk, status, received, _ in history
            if status in Lead.OPEN_STATUSES and received >= now - REPEAT_WINDOW
        ),
        None,
    )
    if open_id is not None:
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("assigned_to__user")
            .get(pk=open_id)
        )
        _lead_join(lead=lead, fields=fields, record=record, now=now)
        return IntakeResult(lead, IntakeRecord.Outcome.JOINED)

    returning_to_id = next((rep for *_, rep in history if rep is not None), None)
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


def intake_record_replay(*, record: IntakeRecord) -> IntakeResult:
    """Run a stored request again (typically after an admin corrected its body).

    Authentication is not checked again: the request was recorded for a known dealer and the
    replay is an admin's decision.
    """
    if not record.replayable:
        raise ValueError(f"intake record {record.pk} cannot be replayed ({record.outcome})")
    parse = PARSERS.get(record.format)
    if parse is None:
        raise ValueError(f"no reader for format {record.format!r}")
    record.replayed_at = timezone.now()
    record.replay_count += 1
    record.save(update_fields=["replayed_at", "replay_count"])
    body = record.body.encode("utf-8")
    try:
        data = parse(body)
        return lead_receive(
            dealer=record.dealer, data=data, record=record, default_source=record.source
        )
    except PayloadError as exc:
        intake_record_reject(record=record, status_code=400, error=exc.message)
        raise
    except LeadInvalid as exc:
        intake_record_reject(record=record, status_code=422, error=str(exc), errors=exc.errors)
        raise
