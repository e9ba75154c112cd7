"""The engine's receivers: intake's one signal (a lead arrived, the follow-up takes it from
there) and django-anymail's (email delivery news, replies from customers).

anymail's webhook views (under /anymail/) check ANYMAIL["WEBHOOK_SECRET"] before they send
these signals. Connected in ``FollowupConfig.ready``.
"""

from __future__ import annotations

import logging

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.dispatch import receiver
from django.utils.html import strip_tags

from followup import queue
from followup.models import OutboundMessage
from followup.outbox import message_status_update
from followup.policy.models import ALL_CHANNELS
from followup.policy.optout import lead_opt_out
from followup.policy.suppression import suppression_channels
from followup.replies import email_inbound
from followup.services import first_call_create
from leads.models import Lead
from leads.signals import lead_received


@receiver(lead_received, dispatch_uid="followup.lead_received")
def on_lead_received(sender, *, lead: Lead, repeat: bool, **kwargs) -> None:
    if lead.is_test or lead.opted_out:
        return
    # The person opted out before (on another lead, or before an erasure): the inquiry is
    # stored and nobody contacts them. One indexed lookup on the intake path.
    if set(suppression_channels(dealer=lead.dealer, phone=lead.phone, email=lead.email)) >= set(
        ALL_CHANNELS
    ):
        lead.opt_out(via="suppression list")
        return
    # The first-call row commits with the lead: if the enqueue below is lost (broker down),
    # the dispatcher's watchdog still finds it.
    attempt = first_call_create(lead=lead, repeat=repeat)
    # Enqueued only once the intake transaction commits: a worker must never look for a lead
    # that is not there yet, nor ring for one that was rolled back.
    queue.lead_start_on_commit(attempt_id=attempt.pk, lead_id=lead.pk, repeat=repeat)
    if lead.assigned_to_id is not None and not repeat:
        # Beside the ring, never instead of it: on its own task, so it cannot delay the call.
        queue.push_on_commit(lead_id=lead.pk, kind="new_lead")


log = logging.getLogger(__name__)

Status = OutboundMessage.Status
TRACKING_STATUS = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "opened": Status.READ,
    "clicked": Status.READ,
    "bounced": Status.FAILED,
    "rejected": Status.FAILED,
    "failed": Status.FAILED,
}
# The customer told their mail provider (or the ESP's own link) they want no more mail.
TRACKING_OPT_OUT = {"complained", "unsubscribed"}


def _message_for(event: AnymailTrackingEvent) -> OutboundMessage | None:
    emails = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.EMAIL).select_related(
        "lead__dealer", "sent_by"
    )
    ours = str((event.metadata or {}).get("lf_message", ""))
    if ours.isdigit():
        found = emails.filter(pk=int(ours)).first()
        if found is not None:
            return found
    if event.message_id:
        return emails.filter(provider_sid=event.message_id).first()
    return None


@receiver(tracking, dispatch_uid="followup.email_tracking")
def on_email_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    message = _message_for(event)
    if message is None:
        return
    if message.provider_sid == "" and event.message_id:
        OutboundMessage.objects.filter(pk=message.pk, provider_sid="").update(
            provider_sid=event.message_id[:100]
        )
    if event.event_type in TRACKING_OPT_OUT:
        lead_opt_out(lead=message.lead, via=f"email_{event.event_type}")
        return
    status = TRACKING_STATUS.get(event.event_type)
    if status is None:
        return
    reason = event.description or event.reject_reason or event.mta_response or ""
    message_status_update(
        message=message,
        status=status,
        at=event.timestamp,
        code=str(event.reject_reason or "") if status == Status.FAILED else "",
        reason=str(reason) if status == Status.FAILED else "",
    )


@receiver(inbound, dispatch_uid="followup.email_inbound")
def on_email_inbound(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    message = event.message
    if message is None:
        return
    recipients = [a.addr_spec for a in (message.to or []) + (message.cc or [])]
    if message.envelope_recipient:
        recipients.insert(0, message.envelope_recipient)
    sender_address = message.from_email.addr_spec if message.from_email else ""
    # Some ESPs hand over the reply without the quoted original (Postmark's StrippedTextReply).
    text = getattr(message, "stripped_text", None) or message.text or ""
    if not text and message.html:
        text = strip_tags(message.html)
    message_id = message.get("Message-ID") or event.event_id or ""
    email_inbound(
        recipients=recipients, sender=sender_address, text=text, message_id=str(message_id)
    )
