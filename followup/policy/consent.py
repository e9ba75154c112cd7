"""Consent after intake, and replies that may be refusals: what people record and confirm."""

from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Greatest
from django.utils import timezone

from dealers.models import Salesperson
from followup.models import Attempt
from followup.policy.models import (
    ALL_CHANNELS,
    Consent,
    ContactChannel,
    Purpose,
    SuppressionReason,
    SuppressionSource,
)
from followup.policy.optout import person_opt_out
from followup.policy.person import person_key
from followup.policy.suppression import suppression_channels, suppression_lift
from followup.progress import lead_next_action_refresh
from leads.models import Lead, LeadEvent

PAUSED = "possible opt-out"


def consent_record(
    *,
    lead: Lead,
    by: Salesperson,
    channel: str,
    given: bool,
    note: str,
    purpose: str = Purpose.REPLY,
) -> Consent:
    """The customer said yes (or no) to ``channel`` — to the salesperson, who notes how.

    A yes lifts the person's suppression on that channel (they may change their mind; the
    entry stays, marked lifted, with who lifted it and why). A no suppresses the channel and
    cancels what would have used it, on all the person's leads.
    """
    channel = ContactChannel(channel).value
    key = person_key(dealer=lead.dealer, phone=lead.phone, email=lead.email)
    with transaction.atomic():
        consent = Consent.objects.create(
            dealer=lead.dealer,
            lead=lead,
            phone_hash=key.phone_hash,
            email_hash=key.email_hash,
            channel=channel,
            purpose=Purpose(purpose).value,
            given=given,
            evidence=note[:300],
            by=by,
        )
        lead.log(
            LeadEvent.Kind.CONSENT,
            by=by,
            note=note,
            data={"channel": channel, "given": given, "purpose": consent.purpose},
        )
        if given:
            suppression_lift(
                dealer=lead.dealer, key=key, channels=[channel], by=by, reason=note or "consent"
            )
            if lead.opted_out and not suppression_channels(dealer=lead.dealer, key=key):
                Lead.objects.filter(pk=lead.pk).update(opted_out_at=None)
                lead.opted_out_at = None
    if not given:
        person_opt_out(
            lead=lead,
            source=SuppressionSource.SALESPERSON,
            by=by,
            channels=[channel],
            reason=SuppressionReason.WITHDRAWN,
        )
    return consent


def possible_opt_out_flag(*, lead: Lead, inbound_id: int | None = None) -> bool:
    """A reply that may refuse contact: pause the automatic follow-up (its pending attempts
    are cancelled with the reason, to be restored if it was not an opt-out) and put the lead
    on the "possible opt-out" list. Runs in the caller's transaction."""
    now = timezone.now()
    flagged = Lead.objects.filter(pk=lead.pk, possible_opt_out_at=None).update(
        possible_opt_out_at=now
    )
    lead.possible_opt_out_at = lead.possible_opt_out_at or now
    Attempt.objects.pending().filter(lead=lead, requested_by=None).update(
        status=Attempt.Status.CANCELLED, reason=PAUSED, finished_at=now
    )
    if flagged:
        lead.log(LeadEvent.Kind.POSSIBLE_OPT_OUT, at=now, data={"inbound": inbound_id})
    lead_next_action_refresh(lead=lead)
    return bool(flagged)


def possible_opt_out_resolve(*, lead: Lead, by: Salesperson, confirmed: bool) -> None:
    """A person read the reply. Confirmed: the person is opted out everywhere. Not an opt-out:
    the paused attempts come back (those already past are due now)."""
    with transaction.atomic():
        if not Lead.objects.filter(pk=lead.pk, possible_opt_out_at__isnull=False).update(
            possible_opt_out_at=None
        ):
            return
        lead.possible_opt_out_at = None
        lead.log(
            LeadEvent.Kind.POSSIBLE_OPT_OUT,
            by=by,
            data={"resolved": "confirmed" if confirmed else "dismissed"},
        )
        if not confirmed:
            Attempt.objects.filter(
                lead=lead, status=Attempt.Status.CANCELLED, reason=PAUSED
            ).update(
                status=Attempt.Status.SCHEDULED,
                due_at=Greatest("due_at", timezone.now()),
                reason="",
                finished_at=None,
                queued_at=None,
            )
            lead_next_action_refresh(lead=lead)
    if confirmed:
        person_opt_out(
            lead=lead,
            source=SuppressionSource.CONFIRMED_REFUSAL,
            by=by,
            channels=ALL_CHANNELS,
        )
