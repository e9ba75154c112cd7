"""django-anymail's signals: email delivery news and replies from customers.

anymail's webhook views (under /anymail/) check ANYMAIL["WEBHOOK_SECRET"] before they send
these signals.
"""

from __future__ import annotations

import logging

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.dispatch import receiver
from django.utils.html import strip_tags

# Imported here so that the app's ready() registers the outbox tasks and admin pages too.
from followup import message_admin, message_tasks  # noqa: F401
from followup.inbound import email_inbound
from followup.messages_models import OutboundMessage
from followup.messaging import lead_opt_out, message_status_update

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
