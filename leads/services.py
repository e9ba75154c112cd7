from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, Salesperson
from dealers.services import Routing, dealer_lock, lead_route
from leads.engine import engine_stop_on_commit
from leads.models import IllegalMove, IntakeRecord, Lead, LeadEvent
from leads.parsers import PayloadError
from leads.parsers.adf import parse_adf
from leads.parsers.adf_email import parse_adf_email
from leads.parsers.google_ads import parse_google_ads
from leads.parsers.json_lead import parse_json_lead
from leads.parsers.meta import map_meta_lead, parse_meta_notification
from leads.signals import lead_received
from leads.tasks import meta_refused_alert
from leads.validation import LeadInvalid, clean_lead, payload_clean, text_clean

log = logging.getLogger(__name__)

# A known customer asking again within this window joins their open lead instead of opening a
# second one (and a second salesperson calling the same person).
REPEAT_WINDOW = dt.timedelta(days=30)


def parse_google_ads_lead(body: bytes) -> dict[str, Any]:
    # The key was checked when the request arrived; a replay is an admin's decision.
    return parse_google_ads(body)[1]


# Readers for IntakeRecord.format, used on receipt and on replay. Portal adapters add theirs.
# Meta ("meta") is not here: its body names leads that must be fetched, see meta_notification_receive.
PARSERS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "json": parse_json_lead,
    "adf": parse_adf,
    "adf-email": parse_adf_email,
    "google-ads": parse_google_ads_lead,
}


class IntakeTemporaryFailure(Exception):
    """Something outside LeadFlow failed (a portal's API); the record stays replayable."""


class IntakeRefused(Exception):
    """A portal's API refused for good until someone fixes the set-up (an expired token):
    retrying changes nothing, so the portal gets its 2xx and the record waits for a replay."""


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
        body=body,
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
    record.status_code = 503
    record.error = text_clean(error)
    record.save(update_fields=["outcome", "status_code", "error"])
    return record


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
        return cursor.fetchone()


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


def intake_record_replay(*, record: IntakeRecord) -> IntakeResult:
    """Run a stored request again (typically after an admin corrected its body).

    Authentication is not checked again: the request was recorded for a known dealer and the
    replay is an admin's decision.
    """
    if not record.replayable:
        raise ValueError(f"intake record {record.pk} cannot be replayed ({record.outcome})")
    parse = PARSERS.get(record.format)
    if parse is None and record.format != "meta":
        raise ValueError(f"no reader for format {record.format!r}")
    record.replayed_at = timezone.now()
    record.replay_count += 1
    record.save(update_fields=["replayed_at", "replay_count"])
    body = bytes(record.body)
    try:
        if parse is None:
            # A Meta notification only names its leads: a replay fetches them again.
            # The admin replaying sees the refusal itself: no email to the managers again.
            result = meta_notification_receive(
                record=record, dealer=record.dealer, body=body, alert=False
            )
            if record.outcome == IntakeRecord.Outcome.REJECTED:
                raise MetaFetchRefused(record.error)
            if result is None:
                raise ValueError(f"intake record {record.pk} names no Meta lead")
            return result
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
    except IntakeTemporaryFailure as exc:
        intake_record_fail(record=record, error=str(exc))
        raise


def intake_record_settle(
    *, record: IntakeRecord, outcome: str, status_code: int, lead: Lead | None = None
) -> IntakeRecord:
    """Close a record that did not go through lead_receive (nothing new to store)."""
    record.outcome = outcome
    record.status_code = status_code
    record.lead = lead
    record.error = ""
    record.errors = {}
    record.save(update_fields=["outcome", "status_code", "lead", "error", "errors"])
    return record


# --- Meta Lead Ads ------------------------------------------------------------------------------


class MetaFetchFailed(IntakeTemporaryFailure):
    """The Graph API did not hand over a lead for now (network, timeout, 5xx, rate limit)."""


class MetaFetchRefused(IntakeRefused):
    """The Graph API refused the lead (4xx: expired page token, missing permission, a lead
    the token cannot see). Meta's retries would meet the same answer for 36 hours."""


# Graph error codes that are throttling or a passing fault, though sent with a 4xx.
META_TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 368, 613, 80001, 80002, 80003, 80004, 80005}


def _graph_refusal_is_permanent(response: requests.Response) -> bool:
    if response.status_code >= 500 or response.status_code in (408, 429):
        return False
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    if error.get("is_transient") or error.get("code") in META_TRANSIENT_CODES:
        return False
    return 400 <= response.status_code < 500


def meta_lead_fetch(*, dealer: Dealer, leadgen_id: str) -> dict[str, Any]:
    """The lead object behind a leadgen id, from the Graph API. Never call inside a transaction."""
    url = f"{settings.META_GRAPH_API_URL}/{requests.utils.quote(leadgen_id, safe='')}"
    try:
        response = requests.get(
            url,
            params={"access_token": dealer.meta_page_token},
            timeout=settings.META_GRAPH_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise MetaFetchFailed(f"Graph API unreachable for lead {leadgen_id}: {exc}") from exc
    if response.status_code != 200:
        error = (
            f"Graph API answered {response.status_code} for lead {leadgen_id}: "
            f"{response.text[:300]}"
        )
        if _graph_refusal_is_permanent(response):
            raise MetaFetchRefused(error)
        raise MetaFetchFailed(error)
    try:
        lead = response.json()
    except ValueError as exc:
        raise MetaFetchFailed(f"Graph API sent no JSON for lead {leadgen_id}") from exc
    if not isinstance(lead, dict):
        raise MetaFetchFailed(f"Graph API sent no lead object for lead {leadgen_id}")
    return lead


def meta_lead_known(*, dealer: Dealer, leadgen_id: str) -> Lead | None:
    """The lead a leadgen id already became, so a redelivery costs no Graph API call."""
    seen = (
        IntakeRecord.objects.filter(
            dealer=dealer, source="meta", external_id=leadgen_id, lead__isnull=False
        )
        .select_related("lead")
        .first()
    )
    if seen is not None:
        return seen.lead
    return Lead.objects.filter(dealer=dealer, source="meta", external_id=leadgen_id).first()


def meta_page_owner(*, page_id: str, addressed: Dealer | None) -> Dealer | None:
    """The dealer whose page a Lead Ads notification is about, or None: nobody's.

    One Meta app has one callback URL for all the pages it serves, so the page id decides,
    not the URL. A dealer that has not entered its page id yet keeps getting what is posted to
    its own URL (set-ups from before page ids)."""
    if page_id:
        owner = Dealer.objects.filter(meta_page_id=page_id).first()
        if owner is not None:
            return owner
    if addressed is not None and not addressed.meta_page_id:
        return addressed
    return None


def _meta_record_for(*, owner: Dealer, record: IntakeRecord, taken: bool) -> IntakeRecord:
    """The request's record, moved to the page's dealer; a copy when the request's record
    already went to another dealer (one delivery naming pages of two dealers)."""
    if not taken:
        if record.dealer_id != owner.pk:
            record.dealer = owner
            record.dealer_slug = owner.slug
            record.save(update_fields=["dealer", "dealer_slug"])
        return record
    return IntakeRecord.objects.create(
        dealer=owner,
        dealer_slug=owner.slug,
        source=record.source,
        format=record.format,
        content_type=record.content_type,
        headers=record.headers,
        body=record.body,
        body_size=record.body_size,
    )


def meta_notification_receive(
    *, record: IntakeRecord, dealer: Dealer | None, body: bytes, alert: bool = True
) -> IntakeResult | None:
    """Fetch and store every lead a Meta notification names, for the dealer owning each page;
    None when it names none (or only pages no dealer has: recorded as ignored).

    Meta retries for 36 hours and out of order, so a leadgen id already stored is skipped before
    any network call. The Graph fetch happens outside any transaction; lead_receive then decides
    under the dealer lock, so two concurrent deliveries of one lead still store it once.
    A Graph refusal (4xx) leaves that dealer's record rejected and replayable and alerts its
    managers; raises PayloadError, MetaFetchFailed (temporary) or LeadInvalid.
    """
    records: dict[int, IntakeRecord] = {}
    results: dict[int, IntakeResult] = {}
    stored: dict[int, IntakeResult] = {}
    refused: set[int] = set()
    strangers: list[str] = []
    for change in parse_meta_notification(body):
        owner = meta_page_owner(page_id=change.get("page_id", ""), addressed=dealer)
        if owner is None:
            strangers.append(str(change.get("page_id", "")))
            continue
        if owner.pk not in records:
            records[owner.pk] = _meta_record_for(owner=owner, record=record, taken=bool(records))
        if owner.pk in refused:
            continue
        owner_record = records[owner.pk]
        leadgen_id = change["leadgen_id"]
        known = meta_lead_known(dealer=owner, leadgen_id=leadgen_id)
        if known is not None:
            results[owner.pk] = IntakeResult(known, IntakeRecord.Outcome.DUPLICATE)
            continue
        try:
            fetched = meta_lead_fetch(dealer=owner, leadgen_id=leadgen_id)
        except MetaFetchRefused as exc:
            refused.add(owner.pk)
            meta_refusal_record(record=owner_record, error=str(exc), alert=alert)
            continue
        data = map_meta_lead(fetched)
        data.setdefault("external_id", leadgen_id)
        data["meta"] = {**data.get("meta", {}), "notification": change}
        results[owner.pk] = stored[owner.pk] = lead_receive(
            dealer=owner, data=data, record=owner_record, default_source="meta"
        )
    for pk, owner_record in records.items():
        if pk in stored or pk in refused:
            continue
        if pk in results:
            intake_record_settle(
                record=owner_record,
                outcome=results[pk].outcome,
                status_code=200,
                lead=results[pk].lead,
            )
        else:
            intake_record_settle(
                record=owner_record, outcome=IntakeRecord.Outcome.IGNORED, status_code=200
            )
    if not records:
        intake_record_settle(record=record, outcome=IntakeRecord.Outcome.IGNORED, status_code=200)
        if strangers:
            # Kept for support: a page nobody entered is usually a dealer's missing set-up.
            record.error = f"no dealer has Meta page {', '.join(sorted(set(strangers)))}"[:2000]
            record.save(update_fields=["error"])
    first = next(iter(records), None)
    if first is None:
        return None
    return stored.get(first) or results.get(first)


def meta_refusal_record(*, record: IntakeRecord, error: str, alert: bool = True) -> None:
    """Graph refused for good: Meta gets its 200 (no 36 hours of retries meeting the same
    refusal), the record is rejected and replayable, and the dealer's managers are told once
    the commit is through."""
    record.outcome = IntakeRecord.Outcome.REJECTED
    record.status_code = 200
    record.error = error[:2000]
    record.save(update_fields=["outcome", "status_code", "error"])
    if alert:
        meta_refused_alert.delay_on_commit(record.pk)


# --- The salesperson's queue and lead page: what people do to a lead by hand. ---------------

OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number")


class EvidenceMissing(Exception):
    """'Reached' and 'appointment' need a connected call, a reply or a note (issue 5)."""


def leads_visible_to(*, staff: Salesperson) -> QuerySet[Lead]:
    """Fails closed: a salesperson sees their own and unassigned leads, managers and BDC
    agents the whole dealer's."""
    leads = Lead.objects.filter(dealer_id=staff.dealer_id)
    if staff.sees_whole_dealer:
        return leads
    return leads.filter(Q(assigned_to=staff) | Q(assigned_to__isnull=True))


def lead_contact_evidence(*, lead: Lead) -> dict[str, Any] | None:
    """The latest two-way contact on the timeline, from the customer's side: their leg of a
    call that lasted long enough, or a genuine reply (not an opt-out, not a possible refusal).
    The salesperson's own leg never counts, however long it rang or talked."""
    events = lead.events.filter(kind__in=[LeadEvent.Kind.CALL, LeadEvent.Kind.INBOUND])
    for event in events.order_by("-at", "-id")[:50]:
        data = event.data or {}
        if event.kind == LeadEvent.Kind.INBOUND:
            if not (data.get("stop") or data.get("refusal") or data.get("auto_reply")):
                return {"kind": event.kind, "event": event.pk, "at": event.at.isoformat()}
        elif _customer_leg_connected(event, lead.dealer):
            return {"kind": event.kind, "event": event.pk, "at": event.at.isoformat()}
    return None


def _customer_leg_connected(event: LeadEvent, dealer: Dealer) -> bool:
    data = event.data or {}
    customer_leg = data.get("event") == "customer call ended" or data.get("bridged") is True
    if not customer_leg:
        return False
    if data.get("outcome") == "reached":
        return True
    try:
        long_enough = int(data.get("duration") or 0) >= dealer.reached_min_seconds
    except (TypeError, ValueError):
        return False
    return long_enough and data.get("status", "completed") == "completed"


def _evidence(*, lead: Lead, note: str) -> dict[str, Any]:
    if lead.reached_at is not None:
        return {"kind": "reached", "at": lead.reached_at.isoformat()}
    found = lead_contact_evidence(lead=lead)
    if found is not None:
        return found
    if note.strip():
        return {"kind": "note", "note": note.strip()}
    raise EvidenceMissing(
        _(
            "There is no connected call or reply on the timeline yet. "
            "Add a note saying how you reached the customer."
        )
    )


def _locked(lead: Lead) -> Lead:
    # Two taps at once (or a tap racing the engine) must not both move the lead: the second
    # waits for the row and sees the first one's result.
    return Lead.objects.select_for_update().select_related("dealer").get(pk=lead.pk)


def _count_attempt(lead: Lead, at: dt.datetime) -> None:
    fields = ["attempt_count", "updated_at"]
    lead.attempt_count += 1
    if lead.first_attempt_at is None:
        lead.first_attempt_at = at
        fields.append("first_attempt_at")
    if not lead.first_channel:
        lead.first_channel = Lead.Channel.PHONE
        fields.append("first_channel")
    lead.save(update_fields=fields)


def _take_over(*, lead: Lead, by: Salesperson, at: dt.datetime) -> None:
    """The salesperson who worked an unassigned lead owns it from now on (DESIGN §1: the
    lead belongs to the salesperson), so it shows in their queue and nobody calls twice."""
    lead.assigned_to = by
    lead.bdc = False
    lead.bdc_reason = ""
    lead.save(update_fields=["assigned_to", "bdc", "bdc_reason", "updated_at"])
    lead.log(
        LeadEvent.Kind.ASSIGNED,
        by=by,
        at=at,
        data={"to": by.pk, "name": by.display_name, "took_over": True},
    )


def lead_log_outcome(*, lead: Lead, by: Salesperson, outcome: str, note: str = "") -> Lead:
    """A call the salesperson made by hand, and how it went.

    "wrong_number" marks the phone wrong; the caller then asks the engine (after commit) to
    stop calls and WhatsApp to it and to ask the customer for another way to reach them."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    with transaction.atomic():
        lead = _locked(lead)
        now = timezone.now()
        evidence = _evidence(lead=lead, note=note) if outcome == "reached" else None
        _count_attempt(lead, now)
        if lead.assigned_to_id is None and by.role == Salesperson.Role.SALESPERSON:
            _take_over(lead=lead, by=by, at=now)
        data: dict[str, Any] = {"outcome": outcome}
        if outcome == "wrong_number" and lead.mark_phone_invalid(by=by, at=now):
            data["phone_invalid"] = lead.phone
        lead.log(LeadEvent.Kind.OUTCOME, by=by, note=note, at=now, data=data)
        if outcome == "reached":
            if lead.status in (Lead.Status.NEW, Lead.Status.CONTACTING, Lead.Status.LOST):
                if lead.status == Lead.Status.LOST:
                    lead.move_to(Lead.Status.CONTACTING, by=by, at=now)
                lead.move_to(
                    Lead.Status.REACHED, by=by, note=note, at=now, data={"evidence": evidence}
                )
                engine_stop_on_commit(lead=lead, reason="reached")
        elif lead.status == Lead.Status.NEW:
            lead.move_to(Lead.Status.CONTACTING, by=by, at=now)
    return lead


def lead_move(
    *, lead: Lead, by: Salesperson, status: str, note: str = "", reason: str = ""
) -> Lead:
    """Showed, sold, lost (with the dealer's reason) or a no-show back to reached."""
    with transaction.atomic():
        lead = _locked(lead)
        if status == Lead.Status.LOST and reason not in lead.dealer.lost_reasons:
            raise IllegalMove(_("Choose one of the dealer's reasons."))
        lead.move_to(status, by=by, note=note, reason=reason)
        if status in (Lead.Status.LOST, Lead.Status.SHOWED, Lead.Status.SOLD):
            engine_stop_on_commit(lead=lead, reason=str(status))
    return lead


def lead_no_show(*, lead: Lead, by: Salesperson, note: str = "") -> Lead:
    with transaction.atomic():
        lead = _locked(lead)
        if lead.status != Lead.Status.APPOINTMENT:
            raise IllegalMove(_("Only a lead with an appointment can miss it."))
        lead.log(LeadEvent.Kind.OUTCOME, by=by, note=note, data={"outcome": "no_show"})
        lead.move_to(Lead.Status.REACHED, by=by, note=note, data={"no_show": True})
    return lead


class AppointmentOutsideWindow(IllegalMove):
    """Past, or further ahead than the dealer allows (Dealer.appointment_window)."""


def lead_book_appointment(
    *, lead: Lead, by: Salesperson | None, at: dt.datetime, note: str = ""
) -> Lead:
    """Set (or move) the appointment. The caller asks the engine to confirm it after commit.

    Raises AppointmentOutsideWindow before anything changes (so no confirmation goes out for
    31.12.9999)."""
    refusal = lead.dealer.appointment_refusal(at, timezone.now())
    if refusal is not None:
        raise AppointmentOutsideWindow(refusal)
    with transaction.atomic():
        lead = _locked(lead)
        now = timezone.now()
        if lead.status == Lead.Status.APPOINTMENT:
            previous = lead.appointment_at
            lead.appointment_at = at
            lead.save(update_fields=["appointment_at", "updated_at"])
            lead.log(
                LeadEvent.Kind.APPOINTMENT,
                by=by,
                note=note,
                at=now,
                data={
                    "at": at.isoformat(),
                    "moved_from": previous.isoformat() if previous else None,
                },
            )
            return lead
        if not lead.can_move_to(Lead.Status.APPOINTMENT):
            lead.move_to(Lead.Status.APPOINTMENT)  # raises IllegalMove with the message
        evidence = _evidence(lead=lead, note=note)
        lead.appointment_at = at
        lead.next_action = ""
        lead.next_action_due_at = None
        lead.save(update_fields=["appointment_at", "next_action", "next_action_due_at"])
        lead.move_to(Lead.Status.APPOINTMENT, by=by, note=note, at=now, data={"evidence": evidence})
        lead.log(LeadEvent.Kind.APPOINTMENT, by=by, at=now, data={"at": at.isoformat()})
        engine_stop_on_commit(lead=lead, reason=str(Lead.Status.APPOINTMENT))
    return lead


def lead_add_note(*, lead: Lead, by: Salesperson, note: str) -> LeadEvent:
    return lead.log(LeadEvent.Kind.NOTE, by=by, note=note.strip())


def lead_opt_out(*, lead: Lead, by: Salesperson) -> LeadEvent | None:
    with transaction.atomic():
        event = _locked(lead).opt_out(by=by, via="salesperson")
        engine_stop_on_commit(lead=lead, reason="opted out")
    return event


def lead_reassign(*, lead: Lead, by: Salesperson, to: Salesperson | None) -> Lead:
    """A manager or BDC agent hands the lead to a salesperson, or to the BDC (``to=None``)."""
    if to is not None and to.dealer_id != lead.dealer_id:
        raise ValueError("salesperson of another dealer")
    with transaction.atomic():
        lead = _locked(lead)
        lead.assigned_to = to
        lead.bdc = to is None
        lead.bdc_reason = "" if to else "manual"
        lead.save(update_fields=["assigned_to", "bdc", "bdc_reason", "updated_at"])
        if to is not None:
            lead.log(
                LeadEvent.Kind.ASSIGNED,
                by=by,
                data={"to": to.pk, "name": to.display_name, "manual": True},
            )
        else:
            lead.log(LeadEvent.Kind.BDC, by=by, data={"reason": "manual"})
    return lead
