"""A lead that needs no more automatic contact (reached, booked, lost, opted out) stops at once:
planned attempts are cancelled, the ring in progress ends without escalating or bridging, and
its phones still ringing are cancelled at the provider."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from followup import queue
from followup.models import Attempt, Call
from followup.progress import attempts_cancel
from leads.models import Lead, LeadEvent

# Legs not answered yet: nobody talks on them, so they can be ended without cutting anyone off.
UNANSWERED = ("pending", "dialing", "unknown", "queued", "initiated", "ringing")
# Legs with no call at the provider (or none known): ended in the database only.
NOT_PLACED = ("pending", "dialing", "unknown")


def followup_stop(*, lead_id: int, reason: str) -> int:
    """Stop everything automatic for the lead; the number of legs cancelled at the provider.

    Calls a person asked for (click-to-call) carry on, except after an opt-out.
    """
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(no_key=True, of=("self",))
            .select_related("dealer")
            .get(pk=lead_id)
        )
        attempts_cancel(lead=lead, reason=reason)
        ringing = Attempt.objects.filter(
            lead=lead, status=Attempt.Status.IN_PROGRESS, channel=Attempt.Channel.PHONE
        )
        if reason != "opted out":
            ringing = ringing.filter(requested_by=None)
        ids = list(ringing.values_list("pk", flat=True))
        if not ids:
            return 0
        # The attempt ends first: a leg's later no-answer then escalates to nobody, and a later
        # press of 1 finds nothing to bridge (voice_answer/voice_gather check the attempt).
        now = timezone.now()
        Attempt.objects.filter(pk__in=ids, status=Attempt.Status.IN_PROGRESS).update(
            status=Attempt.Status.DONE, outcome="stopped", reason=reason[:200], finished_at=now
        )
        legs = Call.objects.filter(attempt_id__in=ids, status__in=UNANSWERED)
        live = list(
            legs.exclude(status__in=NOT_PLACED).exclude(sid=None).values_list("pk", flat=True)
        )
        legs.filter(status__in=NOT_PLACED).update(
            status=Call.Status.CANCELED, ended_at=now, retry_at=None, escalated=True
        )
        Call.objects.filter(pk__in=live).update(escalated=True)
        lead.log(LeadEvent.Kind.CALL, data={"event": "stopped", "reason": reason})
        for call_id in live:
            queue.enqueue_on_commit(queue.RING_HANG_UP, call_id)
    return len(live)
