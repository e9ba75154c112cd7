"""Follow-up workflows: starting a lead's follow-up, the cadence, stop conditions, milestones."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import transaction
from django.utils import timezone

from followup import messaging, staffing
from followup.cadence import allowed_time, dealer_cadence, step_due
from followup.channels.sms import text_channel
from followup.models import Attempt, HoursRule
from followup.policy.calendar import next_allowed
from followup.progress import (
    DONE_STATUSES,
    WATCHDOG_SECONDS,
    attempt_gate,
    attempts_cancel,
    lead_next_action_refresh,
)
from leads.labels import CHANNEL_ACTIONS, action_code
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)


def first_call_create(*, lead: Lead, repeat: bool) -> Attempt:
    """The lead's start as rows, written in the intake transaction so no step can be lost.

    The first call, the first email and WhatsApp and the planning of the cadence are each an
    attempt whose ``due_at`` is the watchdog's deadline: the Celery chain claims them at once;
    whatever the chain did not finish (enqueue lost, a worker killed, the database gone for a
    moment), the dispatcher finds still pending 30 s after receipt and completes.
    """
    # One multi-row INSERT, not get_or_create per row: the signal fires once per new lead
    # (which has no attempts yet) and a repeat inquiry gets fresh keys, so lookups (and the
    # savepoints get_or_create wraps its insert in) would be wasted round trips on the hot
    # path. The (lead, key) constraint still refuses a second first call outright.
    now = timezone.now()
    due = max(lead.received_at, now) + dt.timedelta(seconds=WATCHDOG_SECONDS)
    suffix = f":r{uuid.uuid4().hex[:12]}" if repeat else ""

    def row(key: str, channel: str, label: str) -> Attempt:
        return Attempt(
            lead=lead,
            key=key,
            dealer_id=lead.dealer_id,
            channel=channel,
            purpose="first",
            label=action_code(label),
            hours_rule=HoursRule.CONTACT,
            due_at=due,
        )

    rows = [row(f"first_call{suffix}", Attempt.Channel.PHONE, "first_call")]
    if repeat:
        rows[0].label = action_code("repeat_call")
    else:
        rows += [
            row(f"first_{channel}", channel, f"first_{channel}")
            for channel in (Attempt.Channel.EMAIL, Attempt.Channel.WHATSAPP)
        ]
    # Planning the cadence is work too: a row, so a lost chain tail cannot lose the plan.
    plan = row(f"{CADENCE_KEY}{suffix}", Attempt.Channel.CADENCE, "cadence")
    plan.hours_rule = HoursRule.ANY
    rows.append(plan)
    Attempt.objects.bulk_create(rows)
    return rows[0]


CADENCE_KEY = "cadence"


def cadence_schedule(*, lead: Lead) -> int:
    """Write the lead's repeat attempts as rows (idempotent)."""
    if lead.is_test or lead.opted_out or not lead.is_open or lead.status in DONE_STATUSES:
        return 0
    followup_start(lead=lead)
    if Attempt.objects.filter(lead=lead, key__startswith="step:").exists():
        return 0
    planned = []
    start = staffing.cadence_start(lead=lead)
    for step in dealer_cadence(lead.dealer):
        if lead.message_only and step.channel == Attempt.Channel.PHONE:
            continue  # nobody to bridge to: the gate refused this lead's calls already
        due = allowed_time(
            dealer=lead.dealer,
            rule=step.hours_rule,
            when=step_due(step=step, lead=lead, start=start),
        )
        if due is None:
            continue
        if step.channel != Attempt.Channel.LOST:
            # The customer's quiet hours and the dealer's holidays too, so that the queue
            # shows when the step will really happen (the gate checks again at run time).
            due = next_allowed(dealer=lead.dealer, phone=lead.phone, when=due) or due
        kind = CHANNEL_ACTIONS[step.channel]
        if step.template == "close" and kind != "lost":
            kind = f"close_{kind}"
        row = Attempt(
            dealer_id=lead.dealer_id,
            lead=lead,
            key=f"step:{step.position}",
            channel=step.channel,
            purpose=step.template,
            label=action_code(kind, step.day),
            hours_rule=step.hours_rule,
            due_at=due,
        )
        planned.append((step, row))
    rows = staffing.cadence_spaced(lead=lead, planned=planned, start=start)
    Attempt.objects.bulk_create(rows, ignore_conflicts=True)
    # The first call may have reached the customer while these rows were being written.
    lead.refresh_from_db(fields=["status", "opted_out_at"])
    if lead.status in DONE_STATUSES or lead.opted_out or not lead.is_open:
        attempts_cancel(lead=lead, reason="opted out" if lead.opted_out else str(lead.status))
    else:
        lead_next_action_refresh(lead=lead)
    return len(rows)


def cadence_run(*, lead_id: int) -> int:
    """Plan the lead's cadence and mark its planning rows done (the chain's or the dispatcher's).

    Not claimed first: planning is idempotent, and a worker killed half-way leaves the row
    queued, so the dispatcher hands it out again instead of it staying in progress for good.
    """
    lead = Lead.objects.filter(pk=lead_id).select_related("dealer").first()
    if lead is None:
        return 0
    made = cadence_schedule(lead=lead)
    Attempt.objects.filter(
        lead=lead, channel=Attempt.Channel.CADENCE, status__in=Attempt.PENDING
    ).update(status=Attempt.Status.DONE, outcome="planned", finished_at=timezone.now())
    return made


def followup_start(*, lead: Lead) -> LeadEvent | None:
    """Log the start of the follow-up once per inquiry (the first, and each repeat inquiry)."""
    trigger = (
        lead.events.filter(kind__in=[LeadEvent.Kind.RECEIVED, LeadEvent.Kind.REPEAT_INQUIRY])
        .order_by("-at", "-id")
        .first()
    )
    started = lead.events.filter(kind=LeadEvent.Kind.FOLLOWUP_STARTED)
    if trigger is not None:
        started = started.filter(data__trigger=trigger.pk)
    if started.exists():
        return None
    return lead.log(
        LeadEvent.Kind.FOLLOWUP_STARTED,
        data={
            "repeat": trigger is not None and trigger.kind == LeadEvent.Kind.REPEAT_INQUIRY,
            "trigger": trigger.pk if trigger else None,
        },
    )


def first_messages_ensure(*, lead: Lead) -> list[Attempt]:
    """The first email and WhatsApp, as attempts (messaging decides whether each applies)."""
    out = []
    for channel in (Attempt.Channel.EMAIL, Attempt.Channel.WHATSAPP):
        attempt, _ = Attempt.objects.get_or_create(
            lead=lead,
            key=f"first_{channel}",
            defaults={
                "dealer_id": lead.dealer_id,
                "channel": channel,
                "purpose": "first",
                "label": action_code(f"first_{channel}"),
                "hours_rule": HoursRule.CONTACT,
                "due_at": timezone.now(),
            },
        )
        out.append(attempt)
    return out


def attempt_run(*, attempt_id: int) -> str:
    """Run an email, WhatsApp or "mark lost" attempt exactly once."""
    attempt = Attempt.objects.filter(pk=attempt_id).select_related("lead__dealer").first()
    if attempt is None or attempt.status not in Attempt.PENDING:
        return "taken"
    if not attempt_gate(attempt=attempt) or not attempt.claim():
        return "skipped"
    lead = attempt.lead
    if attempt.channel == Attempt.Channel.LOST:
        with transaction.atomic():
            locked = (
                Lead.objects.select_for_update(no_key=True, of=("self",))
                .select_related("dealer")
                .get(pk=lead.pk)
            )
            if locked.status in (Lead.Status.NEW, Lead.Status.CONTACTING):
                locked.move_to(Lead.Status.LOST, reason=attempt.purpose or "no contact")
            attempt.finish(outcome="lost")
            attempts_cancel(lead=locked, reason="lost")
        return "lost"
    try:
        channel = text_channel(lead=lead, channel=attempt.channel)
        sent = messaging.message_send(
            lead=lead, channel=channel, purpose=attempt.purpose, attempt_id=attempt.pk
        )
    except Exception as exc:  # messaging promises not to raise; a bug there must not loop
        log.exception("message_send failed for attempt %s", attempt.pk)
        attempt.finish(outcome="error", status=Attempt.Status.FAILED, reason=str(exc))
        return "failed"
    # The attempt counts on the lead only when its message has gone out
    # (outbox.attempt_count): a message that fails or is skipped never counts.
    attempt.finish(outcome="sent" if sent else "not applicable")
    lead_next_action_refresh(lead=lead)
    return "sent" if sent else "not applicable"
