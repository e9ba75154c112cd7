"""Erase a person (GDPR Art. 17): every trace of them at one dealer, then at Twilio.

The lead rows stay, anonymised, with their funnel milestones, so last month's report still adds
up; everything else that names the person (timeline, attempts, calls, messages in and out,
unmatched replies, intake bodies and headers, admin change log) is deleted or emptied in one
transaction. Twilio's own copies of the calls and messages are deleted after the commit: never
network I/O inside a transaction, and a Twilio outage must not undo an erasure. What Twilio has
not confirmed stays on the receipt and the daily retention run asks again.
"""

from __future__ import annotations

import logging
from typing import Any

from auditlog.models import LogEntry
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dealers.models import Dealer
from followup.models import Attempt, Call, InboundMessage, OutboundMessage
from leads.models import AccessLog, IntakeRecord, Lead, LeadEvent
from privacy.identity import Person
from privacy.models import ErasureReceipt
from privacy.suppression import person_suppress
from privacy.twilio_erase import erasure_provider_delete

log = logging.getLogger(__name__)

# Every field of a lead that describes the person rather than the funnel.
PERSONAL_FIELDS: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "postal_code": "",
    "message": "",
    "raw_payload": {},
    "external_id": "",
    "vehicle_vin": "",
    "next_action": "",
    "next_action_due_at": None,
}
INTAKE_PURGED: dict[str, Any] = {"body": b"", "headers": {}, "error": "", "errors": {}}
INBOUND_PROVIDER_PREFIXES = ("SM", "MM")


def person_erase(
    *,
    dealer: Dealer,
    phone: str | None = None,
    email: str | None = None,
    by: Any,
    via: str = "page",
) -> ErasureReceipt:
    """Erase the person with this phone number and/or email address at ``dealer``.

    ``by`` is the user who asked (or a name, for the command line). Raises PersonUnknown when
    neither identifies anyone. Erasing a person twice is harmless: the second receipt counts 0.
    """
    person = Person.of(dealer=dealer, phone=phone, email=email)
    now = timezone.now()
    with transaction.atomic():
        found = list(
            _leads_of(dealer=dealer, person=person)
            .select_for_update()
            .values_list("pk", "phone", "email")
        )
        lead_ids = [pk for pk, _phone, _email in found]
        # One person, however they wrote to the dealer: the address their lead gave is theirs
        # too, and finds the request a portal sent with it that was refused.
        person = person.widened([(p, e) for _pk, p, e in found])
        pending = _provider_records(dealer=dealer, person=person, lead_ids=lead_ids)
        counts = _remove_traces(dealer=dealer, person=person, lead_ids=lead_ids, now=now)
        counts["leads"] = _anonymise_leads(lead_ids=lead_ids, now=now)
        receipt = ErasureReceipt.objects.create(
            dealer=dealer,
            at=now,
            by=by if getattr(by, "is_authenticated", False) else None,
            by_name=by.get_username() if hasattr(by, "get_username") else str(by),
            via=via,
            subject_hashes=person.hashes,
            searched_phone=bool(person.phone),
            searched_email=bool(person.email),
            lead_ids=lead_ids,
            counts=counts,
            provider_pending=pending,
            provider_done_at=None if pending else now,
        )
        receipt.suppressed = person_suppress(dealer=dealer, person=person, receipt=receipt)
        receipt.save(update_fields=["suppressed"])
        _erasure_logged(receipt=receipt, by=by)
    log.info("erasure %s at %s: %s", receipt.pk, dealer.slug, counts)
    if pending:
        erasure_provider_delete(receipt=receipt)
    return receipt


def _erasure_logged(*, receipt: ErasureReceipt, by: Any) -> None:
    """The erasure on each lead's timeline and in the access log (the receipt names the rest)."""
    LeadEvent.objects.bulk_create(
        LeadEvent(
            dealer_id=receipt.dealer_id,
            lead_id=pk,
            kind=LeadEvent.Kind.ERASED,
            at=receipt.at,
            data={"receipt": receipt.pk},
        )
        for pk in receipt.lead_ids
    )
    for pk in receipt.lead_ids or [None]:
        AccessLog.record(
            dealer_id=receipt.dealer_id,
            user=by,
            action=AccessLog.Action.ERASE,
            lead_id=pk,
            detail={"receipt": receipt.pk},
        )


def _leads_of(*, dealer: Dealer, person: Person):
    match = Q()
    if person.phone:
        match |= Q(phone=person.phone)
    if person.email:
        match |= Q(email=person.email)
    return Lead.objects.filter(dealer=dealer).filter(match)


def _inbound_of(*, dealer: Dealer, person: Person, lead_ids: list[int]):
    # Replies that matched no lead are found by their sender (the dealer's index on it).
    return InboundMessage.objects.filter(
        Q(lead_id__in=lead_ids) | Q(dealer=dealer, sender__in=person.senders)
    )


def _provider_records(*, dealer: Dealer, person: Person, lead_ids: list[int]) -> list[dict]:
    """The Twilio records to delete after the commit: call legs and messages, by SID."""
    pending = [
        {"kind": "call", "sid": sid}
        for sid in Call.objects.filter(lead_id__in=lead_ids, provider="twilio")
        .exclude(sid=None)
        .values_list("sid", flat=True)
    ]
    pending += [
        {"kind": "message", "sid": sid}
        for sid in OutboundMessage.objects.filter(lead_id__in=lead_ids, provider="twilio")
        .exclude(provider_sid="")
        .values_list("provider_sid", flat=True)
    ]
    pending += [
        {"kind": "message", "sid": sid}
        for sid in _inbound_of(dealer=dealer, person=person, lead_ids=lead_ids)
        .exclude(channel="email")
        .values_list("provider_sid", flat=True)
        if sid.startswith(INBOUND_PROVIDER_PREFIXES)
    ]
    return pending


def _remove_traces(*, dealer: Dealer, person: Person, lead_ids: list[int], now) -> dict[str, int]:
    counts: dict[str, int] = {}
    inbound = _inbound_of(dealer=dealer, person=person, lead_ids=lead_ids)
    outbound = OutboundMessage.objects.filter(lead_id__in=lead_ids)
    events = LeadEvent.objects.filter(lead_id__in=lead_ids)
    intake = _intake_of(dealer=dealer, person=person, lead_ids=lead_ids)
    # The admin change log holds old and new values of the rows going now.
    logged = {
        Lead: lead_ids,
        IntakeRecord: intake,
        InboundMessage: list(inbound.values_list("pk", flat=True)),
        OutboundMessage: list(outbound.values_list("pk", flat=True)),
    }
    audit, admin_history = Q(), Q()
    for model, ids in logged.items():
        if ids:
            content_type = ContentType.objects.get_for_model(model)
            audit |= Q(content_type=content_type, object_id__in=ids)
            # Django's own admin history names the object as it was ("Anna Schmidt").
            admin_history |= Q(content_type=content_type, object_id__in=[str(i) for i in ids])
    counts["audit_entries"] = LogEntry.objects.filter(audit).delete()[0] if audit else 0
    if admin_history:
        counts["audit_entries"] += AdminLogEntry.objects.filter(admin_history).delete()[0]
    counts["calls"] = Call.objects.filter(lead_id__in=lead_ids).delete()[0]
    counts["attempts"] = Attempt.objects.filter(lead_id__in=lead_ids).delete()[0]
    counts["outbound_messages"] = outbound.delete()[0]
    counts["inbound_messages"] = inbound.delete()[0]
    counts["timeline_events"] = events.delete()[0]
    counts["intake_records"] = IntakeRecord.objects.filter(pk__in=intake).update(
        purged_at=now, external_id="", **INTAKE_PURGED
    )
    return counts


def _intake_of(*, dealer: Dealer, person: Person, lead_ids: list[int]) -> list[int]:
    """The lead's requests, and rejected or failed ones that carry the person in their body."""
    ids = list(IntakeRecord.objects.filter(lead_id__in=lead_ids).values_list("pk", flat=True))
    pattern = person.pattern()
    unlinked = IntakeRecord.objects.filter(
        dealer=dealer, lead__isnull=True, purged_at__isnull=True
    ).values_list("pk", "body")
    ids += [pk for pk, body in unlinked.iterator(chunk_size=500) if pattern.search(bytes(body))]
    return ids


def _anonymise_leads(*, lead_ids: list[int], now) -> int:
    """Empty the personal fields; close open leads so nobody works on an empty row."""
    leads = Lead.objects.filter(pk__in=lead_ids)
    leads.filter(status__in=Lead.OPEN_STATUSES).update(
        status=Lead.Status.LOST, lost_at=now, lost_reason="erased"
    )
    # Opted out as well: every path of the engine (the BDC's recovery call of lost leads
    # among them) already stops at an opted-out lead.
    leads.filter(opted_out_at__isnull=True).update(opted_out_at=now)
    return leads.update(erased_at=now, data_expired_at=now, updated_at=now, **PERSONAL_FIELDS)
