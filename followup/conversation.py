"""The conversation with a customer: every message either way, oldest first, as bubbles.

The lead page and the sandbox's customer side both show messages through ``bubbles`` and
``templates/leads/_conversation.html``. Messages are grouped by the models' ``channel`` field,
so a channel added to them (SMS) shows here without change.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from django.db.models import QuerySet

from followup.models import InboundMessage, OutboundMessage
from leads.engine import ConversationMessage
from leads.models import Lead

Status = OutboundMessage.Status
# Enough history to read on a phone; older messages are in the timeline.
CONVERSATION_LIMIT = 200


def shown_outbound(outbound: QuerySet[OutboundMessage]) -> QuerySet[OutboundMessage]:
    """What the customer got or may still get: not cancelled ones, nor ones waiting for
    their time (a reminder for tomorrow is not part of the conversation yet)."""
    return outbound.exclude(status=Status.CANCELLED).exclude(
        status=Status.QUEUED, send_after__isnull=False
    )


def _sent(m: OutboundMessage) -> ConversationMessage:
    return ConversationMessage(
        out=True,
        at=m.created_at,
        channel=m.channel,
        channel_label=str(m.get_channel_display()),
        text=m.body,
        subject=m.subject,
        purpose=m.purpose,
        status=m.status,
        status_label=str(m.get_status_display()),
        error=m.error_reason,
    )


def _received(m: InboundMessage) -> ConversationMessage:
    return ConversationMessage(
        out=False,
        at=m.received_at,
        channel=m.channel,
        channel_label=str(m.get_channel_display()),
        text=m.text,
    )


def bubbles(
    outbound: Iterable[OutboundMessage], inbound: Iterable[InboundMessage]
) -> list[ConversationMessage]:
    return sorted(
        chain((_sent(m) for m in outbound), (_received(m) for m in inbound)),
        key=lambda m: m.at,
    )


def conversation(*, lead: Lead) -> list[ConversationMessage]:
    outbound = shown_outbound(OutboundMessage.objects.filter(lead=lead)).order_by(
        "-created_at", "-id"
    )[:CONVERSATION_LIMIT]
    inbound = InboundMessage.objects.filter(lead=lead).order_by("-received_at", "-id")[
        :CONVERSATION_LIMIT
    ]
    return bubbles(outbound, inbound)[-CONVERSATION_LIMIT:]
