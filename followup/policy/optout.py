"""An opt-out belongs to the person: one call stops everything on all of their leads at once.

Every path ends here — a STOP word, the unsubscribe link, Twilio's 21610, an ESP complaint,
the salesperson's button, a confirmed refusal — so each one suppresses the person on the
suppression list and cancels every pending attempt (the BDC recovery call and salesperson
click-to-calls included) and every queued or scheduled message of every lead with the same
phone number or email at the dealer.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dealers.models import Salesperson
from followup.models import Attempt, OutboundMessage
from followup.policy.models import ALL_CHANNELS, SuppressionReason, SuppressionSource
from followup.policy.suppression import suppression_add
from followup.progress import lead_next_action_refresh
from followup.stop import followup_stop
from leads.models import Lead, LeadEvent

# What the older ``via`` strings of the opt-out paths mean on the suppression list.
VIA_SOURCES = {
    "whatsapp": SuppressionSource.STOP_KEYWORD,
    "email": SuppressionSource.STOP_KEYWORD,
    "sms": SuppressionSource.STOP_KEYWORD,
    "email_link": SuppressionSource.UNSUBSCRIBE_LINK,
    "email_one_click": SuppressionSource.UNSUBSCRIBE_LINK,
    "email_unsubscribed": SuppressionSource.UNSUBSCRIBE_LINK,
    "email_complained": SuppressionSource.ESP_COMPLAINT,
    "whatsapp_provider": SuppressionSource.PROVIDER,
    "sms_provider": SuppressionSource.PROVIDER,
    "email_provider": SuppressionSource.PROVIDER,
    "salesperson": SuppressionSource.SALESPERSON,
}
# An attempt on these channels is a contact on that suppressed channel ("lost" is bookkeeping).
ATTEMPT_CHANNELS = {"phone": "phone", "email": "email", "whatsapp": "whatsapp"}


def person_leads(*, lead: Lead) -> list[Lead]:
    """The leads of the same person (same phone or email) at the lead's dealer, itself included."""
    match = Q(pk=lead.pk)
    if lead.phone:
        match |= Q(phone=lead.phone)
    if lead.email:
        match |= Q(email__iexact=lead.email)
    return list(Lead.objects.filter(match, dealer_id=lead.dealer_id).order_by("pk"))


def person_opt_out(
    *,
    lead: Lead,
    source: str,
    by: Salesperson | None = None,
    channels: Iterable[str] = ALL_CHANNELS,
    reason: str = SuppressionReason.OPT_OUT,
    via: str = "",
) -> int:
    """Suppress the lead's person on ``channels`` and stop all contact on them, on every lead
    of that person at the dealer. Idempotent. Returns how many attempts and messages it
    cancelled.

    All channels (the default) also marks each lead opted out; a withdrawal of one channel
    cancels only what would have used it.
    """
    channels = list(channels)
    everything = set(channels) >= set(ALL_CHANNELS)
    now = timezone.now()
    cancelled = 0
    with transaction.atomic():
        suppression_add(
            dealer=lead.dealer,
            phone=lead.phone,
            email=lead.email,
            channels=channels,
            reason=reason,
            source=source,
            by=by,
            at=now,
        )
        for other in person_leads(lead=lead):
            locked = Lead.objects.select_for_update(no_key=True).get(pk=other.pk)
            if everything:
                locked.opt_out(via=via or source, by=by, at=now)
            cancelled += _cancel_contact(lead=locked, channels=channels, everything=everything)
    if everything:
        lead.opted_out_at = lead.opted_out_at or now
    return cancelled


def _cancel_contact(*, lead: Lead, channels: list[str], everything: bool) -> int:
    why = "opted out" if everything else "consent withdrawn"
    pending = Attempt.objects.pending().filter(lead=lead)
    if not everything:
        pending = pending.filter(channel__in=[c for c in channels if c in ATTEMPT_CHANNELS])
    rows = list(pending.values_list("pk", "label"))
    count = Attempt.objects.filter(
        pk__in=[pk for pk, _ in rows], status__in=Attempt.PENDING
    ).update(status=Attempt.Status.CANCELLED, reason=why, finished_at=timezone.now())
    if count:
        lead.log(
            LeadEvent.Kind.ATTEMPT,
            data={"cancelled": [label for _, label in rows], "count": count, "reason": why},
        )
    messages = OutboundMessage.objects.filter(lead=lead).pending()
    if not everything:
        messages = messages.filter(channel__in=channels)
    for message in messages:
        if message.move_to(
            OutboundMessage.Status.CANCELLED,
            allowed_from=[OutboundMessage.Status.QUEUED],
            error_reason=why,
        ):
            count += 1
            lead.log(
                LeadEvent.Kind.MESSAGE,
                data={
                    "channel": message.channel,
                    "status": OutboundMessage.Status.CANCELLED,
                    "purpose": message.purpose,
                    "message": message.pk,
                    "template": message.template,
                    "reason": why,
                },
            )
    lead_next_action_refresh(lead=lead)
    return count


def lead_opt_out(*, lead: Lead, via: str, by: Salesperson | None = None, source: str = "") -> bool:
    """Stop contact at once, for the person: they go on the suppression list, and nothing
    queued or scheduled goes out on any of their leads (``followup.policy.optout``); a phone
    still ringing for any of them ends too. True if this lead was not opted out before."""
    before = Lead.objects.filter(pk=lead.pk, opted_out_at__isnull=True).exists()
    with transaction.atomic():
        person_opt_out(
            lead=lead,
            source=source or VIA_SOURCES.get(via, SuppressionSource.ADMIN),
            by=by,
            via=via,
        )
        ids = [other.pk for other in person_leads(lead=lead)]

        def stop() -> None:
            # After commit: the provider is asked to cancel ringing legs (no network I/O
            # inside the transaction).
            for lead_id in ids:
                followup_stop(lead_id=lead_id, reason="opted out")

        transaction.on_commit(stop)
    return before
