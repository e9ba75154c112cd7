"""The outbox: a message is a row first (``OutboundMessage``, status ``queued``); a task
claims it (``queued → sending``, one conditional UPDATE) and only then talks to the provider,
outside any transaction. Transient provider errors put it back in the queue with a later
``send_after``; the periodic ``followup.messages.send_due`` picks those up, as it does
scheduled reminders and messages whose enqueue was lost. Status moves only forward."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Salesperson
from followup import queue
from followup.channels import templates as tpl
from followup.channels.email import SendFailed, email_send
from followup.channels.sms import sms_body, sms_send
from followup.channels.texts import FIRST_PURPOSES
from followup.channels.whatsapp import sandbox, whatsapp_send
from followup.models import OutboundMessage
from followup.policy.gate import contact_decide, refusal_text
from followup.policy.models import ContactDecision
from followup.policy.optout import lead_opt_out
from followup.progress import lead_touched
from followup.twilio_client import TwilioFailure
from leadflow.lib.metrics import MESSAGES, PROVIDER_ERRORS
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)

EMAIL = OutboundMessage.Channel.EMAIL
WHATSAPP = OutboundMessage.Channel.WHATSAPP
SMS = OutboundMessage.Channel.SMS
TEXT_CHANNELS = (EMAIL, WHATSAPP, SMS)
SENDERS = {EMAIL: email_send, WHATSAPP: whatsapp_send, SMS: sms_send}
Status = OutboundMessage.Status
SENT_OR_LATER = (Status.SENT, Status.DELIVERED, Status.READ)

# Waits before the 2nd, 3rd, ... try after a transient error; then the message has failed.
RETRY_BACKOFF = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=1),
)
MAX_TRIES = len(RETRY_BACKOFF) + 1
# A message still "sending" after this long was cut off mid-request (worker killed): it may
# or may not have gone out.
SENDING_STALE_AFTER = dt.timedelta(minutes=5)
# Enqueued messages the dispatcher leaves to their own task for this long.
ENQUEUE_GRACE = dt.timedelta(seconds=60)
# Provider codes meaning the customer does not want our messages.
OPT_OUT_CODES = {"21610"}


def channel_refusal(*, lead: Lead, channel: str, purpose: str = "") -> str | None:
    """Why ``channel`` may not be used for this lead at all (the contact policy without the
    hours), or None when it may."""
    if channel not in TEXT_CHANNELS:
        return _("Messages cannot be sent by this channel.")
    if channel in (WHATSAPP, SMS) and lead.phone_is_invalid:
        return _("The phone number is wrong.")
    decision = contact_decide(
        lead=lead,
        channel=channel,
        action="message",
        purpose=purpose,
        check_hours=False,
        record=False,
    )
    return None if decision.allowed else refusal_text(decision)


def _purpose_for(lead: Lead, purpose: str) -> str:
    # The first answer is written for the customer's question.
    return tpl.first_purpose(lead) if purpose == tpl.FIRST else purpose


def template_for(*, lead: Lead, channel: str, purpose: str) -> tpl.Resolved | None:
    # The intent's own first answer, else the general one; a cadence step without wording
    # of its own ("followup2") reads like a follow-up. An SMS says what the WhatsApp says.
    wording = WHATSAPP if channel == SMS else channel
    for candidate in dict.fromkeys((_purpose_for(lead, purpose), purpose, tpl.FOLLOWUP)):
        resolved = tpl.template_resolve(lead=lead, channel=wording, purpose=candidate)
        if resolved is not None:
            return resolved
    return None


def message_create(
    *,
    lead: Lead,
    channel: str,
    purpose: str,
    attempt_id: int | None = None,
    sent_by: Salesperson | None = None,
    text: str = "",
    context: dict[str, Any] | None = None,
    send_after: dt.datetime | None = None,
) -> OutboundMessage | None:
    language = tpl.language_of(lead)
    values = tpl.placeholders(lead=lead, language=language)
    context = dict(context or {})
    if purpose == tpl.FREE:
        resolved = tpl.template_resolve(lead=lead, channel=channel, purpose=tpl.FOLLOWUP)
        subject = tpl.render(resolved.subject, values) if resolved else lead.dealer.name
        body, content_sid, variables = text, "", {}
    else:
        resolved = template_for(lead=lead, channel=channel, purpose=purpose)
        if resolved is None:
            log.warning("no %s template for purpose %r (lead %s)", channel, purpose, lead.pk)
            return None
        subject = tpl.render(resolved.subject, values)
        body = tpl.render(resolved.body, values)
        body = sms_body(body) if channel == SMS else body
        # Only a template Meta approved goes by ContentSid; anything else is free text,
        # which Twilio delivers only inside the customer's 24-hour window.
        content_sid = resolved.content_sid if channel == WHATSAPP and resolved.approved else ""
        variables = tpl.content_variables(resolved, values) if content_sid else {}
        if resolved.purpose in FIRST_PURPOSES:
            # The email shows the car as a card; kept on the row, so a resend shows the same.
            context["card"] = values["card"]
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                dealer_id=lead.dealer_id,
                lead=lead,
                channel=channel,
                purpose=purpose,
                template=f"{channel}:{resolved.purpose if resolved else purpose}",
                language=language,
                to=lead.email if channel == EMAIL else lead.phone,
                subject=subject[:200] if channel == EMAIL else "",
                body=body,
                content_sid=content_sid,
                content_variables=variables,
                context=context,
                provider="email" if channel == EMAIL else settings.LEADFLOW_PROVIDERS,
                attempt_id=attempt_id,
                sent_by=sent_by,
                send_after=send_after,
            )
    except IntegrityError:
        # The same attempt's task ran twice at once; the other one queued it.
        return None
    MESSAGES.labels(channel, OutboundMessage.Status.QUEUED).inc()
    return message


def message_enqueue(message: OutboundMessage) -> None:
    # After commit: the worker must find the row, and no network I/O happens before then.
    # Should the broker refuse it, the dispatcher (send_due) sends it after ENQUEUE_GRACE.
    queue.enqueue_on_commit(queue.MESSAGE_SEND, message.pk, recoverable=True)


def message_log(message: OutboundMessage, status: str, **extra: Any) -> LeadEvent:
    data = {
        "channel": message.channel,
        "status": status,
        "purpose": message.purpose,
        "message": message.pk,
        "template": message.template,
        **{k: v for k, v in extra.items() if v not in (None, "")},
    }
    return message.lead.log(LeadEvent.Kind.MESSAGE, by=message.sent_by, data=data)


def message_deliver(*, message_id: int) -> str | None:
    """Claim a due message and hand it to its provider. Returns the status it ended in, or
    None when there was nothing to do (not due, or another worker has it)."""
    message = (
        OutboundMessage.objects.select_related(
            "dealer", "lead__dealer", "lead__assigned_to__user", "sent_by"
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None or not message.claim():
        return None
    stale = _no_longer_wanted(message)
    if stale is not None:
        if message.move_to(Status.CANCELLED, allowed_from=[Status.SENDING], error_reason=stale):
            message_log(message, Status.CANCELLED, reason=stale)
        return Status.CANCELLED
    refused = _policy_refusal(message)
    if refused is not None:
        return refused
    try:
        sid = SENDERS[message.channel](message)
    except SendFailed as failure:
        return _handle_failure(message, failure)
    OutboundMessage.objects.filter(pk=message.pk, provider_sid="").update(provider_sid=sid)
    message.provider_sid = message.provider_sid or sid
    # A fast status callback may have moved it further already; then this changes nothing.
    if message.move_to(Status.SENT, error_code="", error_reason=""):
        message_log(message, Status.SENT, sid=sid)
    attempt_count(message=message)
    return Status.SENT


def _policy_refusal(message: OutboundMessage) -> str | None:
    """The gate at delivery: every message that leaves has a stored allow decision. A denial
    for the hours puts the message back until the next allowed moment; any other cancels it.
    Returns the status the message ended in, or None to send it now."""
    lead = message.lead
    if (
        message.sent_by_id is not None
        and ContactDecision.objects.filter(message_id=message.pk, allowed=True).exists()
    ):
        return None  # a salesperson's message, decided (and stored) when they sent it
    decision = contact_decide(
        lead=lead,
        channel=message.channel,
        action="message",
        purpose=message.purpose,
        by=message.sent_by,
        free_text=message.channel == WHATSAPP and not message.content_sid and not sandbox(),
        informational=message.purpose == tpl.FIRST,
        attempt_id=message.attempt_id,
        message_id=message.pk,
    )
    if decision.allowed:
        return None
    if decision.curable:
        message.move_to(
            Status.QUEUED,
            allowed_from=[Status.SENDING],
            send_after=decision.next_allowed_at,
            error_reason=decision.rule,
        )
        return Status.QUEUED
    if message.move_to(Status.CANCELLED, allowed_from=[Status.SENDING], error_reason=decision.rule):
        message_log(message, Status.CANCELLED, reason=decision.rule)
    return Status.CANCELLED


def attempt_count(*, message: OutboundMessage) -> bool:
    """A cadence message that went out counts as an attempt on its lead, once. Queued,
    failed, skipped or cancelled messages never do."""
    if message.attempt_id is None:
        return False
    with transaction.atomic():
        won = OutboundMessage.objects.filter(pk=message.pk, counted_at=None).update(
            counted_at=timezone.now()
        )
        if won:
            lead_touched(lead=message.lead, channel=message.channel)
    return bool(won)


def _no_longer_wanted(message: OutboundMessage) -> str | None:
    lead = message.lead
    if message.purpose == tpl.REMINDER:
        booked = message.context.get("appointment_at")
        current = lead.appointment_at.isoformat() if lead.appointment_at else None
        if booked != current or lead.status not in (
            Lead.Status.APPOINTMENT,
            Lead.Status.REACHED,
            Lead.Status.CONTACTING,
            Lead.Status.NEW,
        ):
            return "the appointment was changed or cancelled"
    refusal = channel_refusal(lead=lead, channel=message.channel, purpose=message.purpose)
    if refusal is not None:
        return str(refusal)
    return None


def _handle_failure(message: OutboundMessage, failure: SendFailed) -> str:
    PROVIDER_ERRORS.labels(
        message.provider or "unknown", message.channel, failure.kind, failure.code or "none"
    ).inc()
    if failure.kind == TwilioFailure.TRANSIENT and message.tries < MAX_TRIES:
        delay = RETRY_BACKOFF[min(message.tries, len(RETRY_BACKOFF)) - 1]
        retry_at = timezone.now() + delay
        if message.move_to(
            Status.QUEUED,
            allowed_from=[Status.SENDING],
            send_after=retry_at,
            error_code=failure.code,
            error_reason=failure.reason,
        ):
            log.info("message %s: transient error, retry at %s", message.pk, retry_at)
            # A nudge; the dispatcher (send_due) is what guarantees the retry.
            queue.enqueue_on_commit(queue.MESSAGE_SEND, message.pk, countdown=delay.total_seconds())
        return Status.QUEUED
    if failure.kind == TwilioFailure.UNKNOWN:
        # It may have gone out: sending again could text the customer twice. A person
        # decides (the status callback, if one comes, settles it on its own).
        if message.move_to(
            Status.UNKNOWN,
            allowed_from=[Status.SENDING],
            error_code=failure.code,
            error_reason=failure.reason,
        ):
            message_log(message, Status.UNKNOWN, reason=failure.reason)
        return Status.UNKNOWN
    reason = failure.reason
    if failure.kind == TwilioFailure.TRANSIENT:
        reason = f"gave up after {message.tries} tries: {reason}"
    if message.move_to(
        Status.FAILED, allowed_from=[Status.SENDING], error_code=failure.code, error_reason=reason
    ):
        message_log(message, Status.FAILED, code=failure.code, reason=reason)
    if failure.code in OPT_OUT_CODES:
        lead_opt_out(lead=message.lead, via=f"{message.channel}_provider")
    return Status.FAILED


def message_status_update(
    *,
    message: OutboundMessage,
    status: str,
    at: dt.datetime | None = None,
    code: str = "",
    reason: str = "",
) -> bool:
    """A provider's news about a message. Forward only: duplicates and late arrivals are
    ignored (False)."""
    fields: dict[str, str] = {}
    if status in OutboundMessage.FINAL_FAILURES:
        fields = {"error_code": code[:20], "error_reason": reason[:300]}
    if not message.move_to(status, at=at, **fields):  # type: ignore[arg-type]
        return False
    if status in OutboundMessage.FINAL_FAILURES:
        PROVIDER_ERRORS.labels(
            message.provider or "unknown", message.channel, "delivery", code[:20] or "none"
        ).inc()
    message_log(message, status, code=fields.get("error_code"), reason=fields.get("error_reason"))
    if status in (Status.SENT, Status.DELIVERED, Status.READ):
        # E.g. a message whose send answer was lost (unknown) that Twilio says went out.
        attempt_count(message=message)
    if code in OPT_OUT_CODES:
        lead_opt_out(lead=message.lead, via=f"{message.channel}_provider")
    return True


def messages_cancel(
    *,
    lead: Lead,
    reason: str,
    purposes: list[str] | None = None,
    channels: list[str] | None = None,
) -> int:
    """Cancel the lead's queued and scheduled messages (those already sending finish)."""
    pending = OutboundMessage.objects.filter(lead=lead).pending()
    if purposes is not None:
        pending = pending.filter(purpose__in=purposes)
    if channels is not None:
        pending = pending.filter(channel__in=channels)
    cancelled = 0
    for message in pending.select_related("lead", "sent_by"):
        if message.move_to(Status.CANCELLED, allowed_from=[Status.QUEUED], error_reason=reason):
            message_log(message, Status.CANCELLED, reason=reason)
            cancelled += 1
    return cancelled


def message_resend(*, message: OutboundMessage, by: Salesperson | None = None) -> bool:
    """A person checked a message whose outcome was unknown (or that failed) and wants it
    sent again. Only then is it sent again."""
    if channel_refusal(lead=message.lead, channel=message.channel) is not None:
        return False
    if not message.move_to(
        Status.QUEUED,
        allowed_from=[Status.UNKNOWN, Status.FAILED],
        send_after=None,
        tries=0,
        error_code="",
        error_reason="",
    ):
        return False
    message_log(message, "resend", by_person=by.pk if by else None)
    message_enqueue(message)
    return True


def messages_unsettled(*, lead: Lead) -> list[OutboundMessage]:
    """The lead's messages whose outcome is unknown, for a person to settle on the lead page."""
    return list(
        OutboundMessage.objects.filter(lead=lead, status=Status.UNKNOWN).order_by("created_at")
    )


def message_mark_sent(*, message: OutboundMessage) -> bool:
    """A person confirmed with the provider that a message of unknown outcome went out."""
    if not message.move_to(Status.SENT, allowed_from=[Status.UNKNOWN]):
        return False
    message_log(message, Status.SENT, confirmed_by_person=True)
    attempt_count(message=message)
    return True


def messages_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of messages to hand to workers now: scheduled ones that are due, retries whose
    wait is over, and immediate ones whose enqueue was evidently lost. Also marks messages
    cut off mid-send as unknown (never re-sent blindly)."""
    now = now or timezone.now()
    for message in OutboundMessage.objects.filter(
        status=Status.SENDING, sending_at__lt=now - SENDING_STALE_AFTER
    ).select_related("lead", "sent_by")[:limit]:
        reason = "cut off while sending; check with the provider before sending again"
        if message.move_to(Status.UNKNOWN, allowed_from=[Status.SENDING], error_reason=reason):
            message_log(message, Status.UNKNOWN, reason=reason)
    due = OutboundMessage.objects.due(now).exclude(
        send_after__isnull=True, created_at__gt=now - ENQUEUE_GRACE
    )
    return list(due.order_by("send_after", "id").values_list("id", flat=True)[:limit])
