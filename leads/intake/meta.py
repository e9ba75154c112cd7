"""Meta Lead Ads: a notification names leads that are fetched from the Graph API, then stored."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from dealers.models import Dealer
from leads.intake.parsers.meta import map_meta_lead, parse_meta_notification
from leads.intake.records import (
    IntakeRefused,
    IntakeResult,
    IntakeTemporaryFailure,
    intake_record_settle,
)
from leads.intake.services import lead_receive
from leads.models import IntakeRecord, Lead
from leads.tasks import meta_refused_alert


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
    url = f"{settings.META_GRAPH_API_URL}/{quote(leadgen_id, safe='')}"
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
    _meta_records_settle(
        record=record,
        records=records,
        results=results,
        unsettled={pk for pk in records if pk not in stored and pk not in refused},
        strangers=strangers,
    )
    first = next(iter(records), None)
    if first is None:
        return None
    return stored.get(first) or results.get(first)


def _meta_records_settle(
    *,
    record: IntakeRecord,
    records: dict[int, IntakeRecord],
    results: dict[int, IntakeResult],
    unsettled: set[int],
    strangers: list[str],
) -> None:
    """Close the records no lead was stored on: a known lead again, or nothing for the dealer."""
    for pk, owner_record in records.items():
        if pk not in unsettled:
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


def meta_refusal_record(*, record: IntakeRecord, error: str, alert: bool = True) -> None:
    """Graph refused for good: Meta gets its 200 (no 36 hours of retries meeting the same
    refusal), the record is rejected and replayable, and the dealer's managers are told once
    the commit is through."""
    record.outcome = IntakeRecord.Outcome.REJECTED
    record.status_code = 200
    record.error = error[:2000]
    record.save(update_fields=["outcome", "status_code", "error"])
    if alert:
        meta_refused_alert.delay_on_commit(record.pk)  # type: ignore[attr-defined]  # Celery 5.4
