"""A lead's progress through its follow-up: whether an attempt may still run, the cancels
and the milestones (touched, reached, next action). The channels call these; they call no
channel, so every channel imports downward only."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from followup import sla, staffing
from followup.cadence import allowed_time
from followup.channels.sms import text_channel
from followup.models import Attempt, HoursRule
from followup.policy.gate import contact_decide, decision_record
from followup.policy.suppression import suppression_check
from leads.labels import CHANNEL_ACTIONS, action_code
from leads.models import Lead, LeadEvent

# The watchdog: a first ring not started this long after receipt is started by the dispatcher.
WATCHDOG_SECONDS = 30

# Lead statuses after which the cadence has nothing left to do.
DONE_STATUSES = {
    Lead.Status.REACHED,
    Lead.Status.APPOINTMENT,
    Lead.Status.SHOWED,
    Lead.Status.SOLD,
}


def stop_reason(*, lead: Lead, attempt: Attempt) -> str:
    """Why ``attempt`` must not happen any more ("" if it may). Checked before every attempt."""
    if lead.is_test:
        return "test lead"
    if lead.opted_out:
        return "opted out"
    if attempt.requested_by_id is not None:
        return ""
    if attempt.purpose == "callback":
        # The customer asked for this call on the booking page: it happens while the lead is
        # open, reached or not.
        return "" if lead.is_open else str(lead.status)
    if attempt.purpose == "recovery":
        return "" if lead.status == Lead.Status.LOST else f"lead is {lead.status}"
    if lead.status == Lead.Status.LOST:
        return "lost"
    if lead.status in DONE_STATUSES and not attempt.is_first_call:
        return str(lead.status)
    return ""


def attempts_cancel(*, lead: Lead, reason: str) -> int:
    """Cancel the lead's remaining attempts; they stay on its timeline with the reason."""
    pending = Attempt.objects.pending().filter(lead=lead, requested_by=None)
    if reason == "lost" or lead.status == Lead.Status.LOST:
        pending = pending.exclude(purpose="recovery")
    cancelled = list(pending.values_list("pk", "label", "channel"))
    count = Attempt.objects.filter(
        pk__in=[pk for pk, _, _ in cancelled], status__in=Attempt.PENDING
    ).update(status=Attempt.Status.CANCELLED, reason=reason[:200], finished_at=timezone.now())
    shown = [label for _, label, channel in cancelled if channel != Attempt.Channel.CADENCE]
    if count and shown:
        lead.log(
            LeadEvent.Kind.ATTEMPT,
            data={"cancelled": shown, "count": len(shown), "reason": reason},
        )
    if lead.status == Lead.Status.LOST:
        recovery_schedule(lead=lead)
    lead_next_action_refresh(lead=lead)
    return count


def recovery_schedule(*, lead: Lead) -> Attempt | None:
    """A lost lead, whatever the reason, gets one BDC recovery call after ``recovery_days``."""
    if lead.status != Lead.Status.LOST or lead.is_test or lead.opted_out:
        return None
    if suppression_check(dealer=lead.dealer, channel="phone", phone=lead.phone, email=lead.email):
        return None  # the person opted out (perhaps on another lead): no recovery call
    lost_at = lead.lost_at or timezone.now()
    due = lost_at + dt.timedelta(days=lead.dealer.recovery_days)
    due = allowed_time(dealer=lead.dealer, rule=HoursRule.CONTACT, when=due) or due
    try:
        with transaction.atomic():
            attempt, created = Attempt.objects.get_or_create(
                lead=lead,
                key="recovery",
                defaults={
                    "dealer_id": lead.dealer_id,
                    "channel": Attempt.Channel.PHONE,
                    "purpose": "recovery",
                    "label": action_code("recovery"),
                    "hours_rule": HoursRule.CONTACT,
                    "due_at": due,
                },
            )
    except IntegrityError:
        return Attempt.objects.filter(lead=lead, key="recovery").first()
    if created:
        lead.log(
            LeadEvent.Kind.ATTEMPT, data={"scheduled": attempt.label, "due_at": due.isoformat()}
        )
    return attempt


def lead_touched(*, lead: Lead, channel: str, at: dt.datetime | None = None) -> None:
    """Milestones of an attempt that actually happened. Runs inside the caller's transaction."""
    at = at or timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        attempt_count=F("attempt_count") + 1,
        first_attempt_at=Coalesce(F("first_attempt_at"), Value(at)),
        first_channel=Case(
            When(first_attempt_at=None, then=Value(channel)), default=F("first_channel")
        ),
    )
    locked = Lead.objects.select_for_update(no_key=True).get(pk=lead.pk)
    if locked.status == Lead.Status.NEW:
        locked.move_to(Lead.Status.CONTACTING, at=at, data={"channel": channel})
    elif locked.status == Lead.Status.LOST and channel == "phone":
        # DESIGN §3: lost → contacting when the BDC re-calls it.
        locked.move_to(Lead.Status.CONTACTING, at=at, note="BDC recovery call")


def lead_reached(*, lead_id: int, evidence: dict) -> bool:
    """A two-way contact happened: the lead is reached and its remaining attempts cancelled."""
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(no_key=True, of=("self",))
            .select_related("dealer")
            .get(pk=lead_id)
        )
        if lead.status == Lead.Status.LOST:
            lead.move_to(Lead.Status.CONTACTING, note="reached on recovery")
        if lead.status not in (Lead.Status.NEW, Lead.Status.CONTACTING):
            return False
        lead.move_to(Lead.Status.REACHED, data=evidence)
        attempts_cancel(lead=lead, reason="reached")
    return True


def lead_next_action_refresh(*, lead: Lead) -> None:
    nxt = Attempt.objects.pending().touches().filter(lead=lead).order_by("due_at").first()
    # A code (leads.labels), translated when a page shows it.
    action, due = (nxt.label or CHANNEL_ACTIONS[nxt.channel], nxt.due_at) if nxt else ("", None)
    Lead.objects.filter(pk=lead.pk).update(next_action=action[:40], next_action_due_at=due)


def attempt_action(attempt: Attempt) -> str:
    """The gate's name for what an attempt does (shown on the timeline)."""
    if attempt.channel != Attempt.Channel.PHONE:
        return "message"
    if attempt.requested_by_id is not None:
        return "click_to_call"
    if attempt.purpose == "recovery":
        return "recovery_call"
    return "first_call" if attempt.is_first_call else "call"


# Denials that end every automatic call of the lead at once: there is nobody to bridge to.
NO_CALL_RULES = frozenset({"no_address", "no_consent", "consent_unknown", "reply_period_over"})


def _attempt_cancel(*, attempt: Attempt, reason: str) -> None:
    Attempt.objects.filter(pk=attempt.pk, status__in=Attempt.PENDING).update(
        status=Attempt.Status.CANCELLED, reason=reason[:200], finished_at=timezone.now()
    )


# The channels a wrong phone number closes.
PHONE_CHANNELS = (Attempt.Channel.PHONE, Attempt.Channel.WHATSAPP)


def attempt_gate(*, attempt: Attempt) -> bool:
    """Re-check the lead, the staff's hours and the contact policy before an attempt; False:
    it must not run now.

    A lead moved by people (lost, reached, ...) since the row was written is noticed here, and
    the attempt and the rest of the cadence are cancelled with the reason. The contact policy
    (``followup.policy.gate``) decides for the customer: a call's decision is stored here; a
    message's allow is stored when it is delivered, its denial here.
    """
    # The lead is read fresh here (callers load the attempt with select_related("lead")):
    # this read is the re-check.
    if _lead_stopped(attempt=attempt):
        return False
    lead = attempt.lead
    if attempt.requested_by_id is not None:
        # Click-to-call: decided (and stored) when the salesperson asked; only an opt-out
        # since then stops it.
        if suppression_check(
            dealer=lead.dealer, channel=attempt.channel, phone=lead.phone, email=lead.email
        ):
            _attempt_cancel(attempt=attempt, reason="opted out")
            return False
        return True
    # A BDC lead with no BDC to ring becomes everybody's (and the managers hear of it).
    sla.bdc_unreachable(attempt=attempt)
    now = timezone.now()
    allowed = allowed_time(dealer=lead.dealer, rule=staffing.staff_rule(attempt), when=now)
    if allowed is None:
        _attempt_cancel(attempt=attempt, reason="no allowed time")
        return False
    if allowed > now:
        return _attempt_move(attempt=attempt, to=allowed, reason="outside hours")
    if attempt.channel == Attempt.Channel.PHONE:
        held = staffing.call_held(attempt=attempt, now=now)
        if held is not None:
            return _attempt_move(attempt=attempt, to=held[0], reason=held[1])
    if attempt.channel == Attempt.Channel.LOST:
        return True
    return _policy_allows(attempt=attempt, now=now)


def _lead_stopped(*, attempt: Attempt) -> bool:
    """The lead's phone is wrong (for a call or a WhatsApp), or the lead moved on so that the
    attempt must not happen: the attempt is cancelled (the cadence too, for a move)."""
    lead = attempt.lead
    if attempt.channel in PHONE_CHANNELS and lead.phone_is_invalid:
        # Only this channel is closed: the emails of the cadence go on.
        if Attempt.objects.filter(pk=attempt.pk, status__in=Attempt.PENDING).update(
            status=Attempt.Status.CANCELLED, reason="wrong number", finished_at=timezone.now()
        ):
            lead.log(
                LeadEvent.Kind.ATTEMPT,
                data={"cancelled": [attempt.label], "reason": "wrong number"},
            )
            lead_next_action_refresh(lead=lead)
        return True
    reason = stop_reason(lead=lead, attempt=attempt)
    if not reason:
        return False
    _attempt_cancel(attempt=attempt, reason=reason)
    lead.log(LeadEvent.Kind.ATTEMPT, data={"cancelled": [attempt.label], "reason": reason})
    if reason not in ("test lead",):
        attempts_cancel(lead=lead, reason=reason)
    return True


def _policy_allows(*, attempt: Attempt, now: dt.datetime) -> bool:
    """The contact policy's decision for an automatic attempt; a denial moves the attempt to
    when it will be allowed, or cancels it (and, for calls nobody may make, all calls)."""
    lead = attempt.lead
    decision = contact_decide(
        lead=lead,
        channel=text_channel(lead=lead, channel=attempt.channel),
        action=attempt_action(attempt),
        purpose=attempt.purpose,
        informational=attempt.purpose == "first" and attempt.channel != Attempt.Channel.PHONE,
        attempt_id=attempt.pk,
        when=now,
        record=False,
    )
    if decision.allowed and attempt.channel != Attempt.Channel.PHONE:
        return True
    decision_record(decision, lead=lead, by=None, when=now, attempt_id=attempt.pk)
    if decision.allowed:
        return True
    if decision.curable and decision.next_allowed_at is not None:
        return _attempt_move(attempt=attempt, to=decision.next_allowed_at, reason=decision.rule)
    _attempt_cancel(attempt=attempt, reason=decision.rule)
    if attempt.channel == Attempt.Channel.PHONE and decision.rule in NO_CALL_RULES:
        # A lead without a callable, consented phone is worked by messages: no salesperson
        # is rung for it again, and the queue shows it as a message lead.
        Lead.objects.filter(pk=lead.pk).update(message_only=True)
        lead.message_only = True
        Attempt.objects.pending().filter(
            lead=lead, channel=Attempt.Channel.PHONE, requested_by=None
        ).update(status=Attempt.Status.CANCELLED, reason=decision.rule, finished_at=now)
    lead_next_action_refresh(lead=lead)
    return False


def _attempt_move(*, attempt: Attempt, to: dt.datetime, reason: str) -> bool:
    lead = attempt.lead
    moved = Attempt.objects.filter(pk=attempt.pk, status__in=Attempt.PENDING).update(
        status=Attempt.Status.SCHEDULED, due_at=to, queued_at=None, reason=reason
    )
    if moved:
        lead.log(
            LeadEvent.Kind.ATTEMPT,
            data={"moved": attempt.label, "to": to.isoformat(), "reason": reason},
        )
        lead_next_action_refresh(lead=lead)
    return False


def lead_phone_invalid(*, lead: Lead) -> int:
    """The lead's phone is wrong: its remaining calls and WhatsApps are cancelled (emails and
    the rest of the cadence stay). Attempts written later are stopped by attempt_gate."""
    pending = Attempt.objects.pending().filter(lead=lead, channel__in=PHONE_CHANNELS)
    cancelled = list(pending.values_list("pk", "label"))
    count = Attempt.objects.filter(
        pk__in=[pk for pk, _ in cancelled], status__in=Attempt.PENDING
    ).update(status=Attempt.Status.CANCELLED, reason="wrong number", finished_at=timezone.now())
    if count:
        lead.log(
            LeadEvent.Kind.ATTEMPT,
            data={
                "cancelled": [label for _, label in cancelled],
                "count": count,
                "reason": "wrong number",
            },
        )
    lead_next_action_refresh(lead=lead)
    return count
