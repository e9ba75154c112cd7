"""WhatsApp to customers through Twilio Messages, or recorded only (sandbox provider)."""

from __future__ import annotations

import datetime as dt
import json
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from followup.channels.email import SendFailed
from followup.models import OutboundMessage
from followup.twilio_client import (
    PERMANENT_CODES,
    TwilioFailure,
    classify_twilio_error,
    twilio_client,
    twilio_error_code,
)
from leads.models import Lead

# WhatsApp lets a business write freely only within 24 hours of the customer's last message.
SESSION_WINDOW = dt.timedelta(hours=24)


def in_session_window(lead: Lead, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return lead.last_inbound_at is not None and now - lead.last_inbound_at < SESSION_WINDOW


def sandbox() -> bool:
    return settings.LEADFLOW_PROVIDERS == "sandbox"


def status_callback_url(message: OutboundMessage) -> str:
    # Our id in the URL: a callback can find its row even before (or without) the SID, e.g.
    # when Twilio's answer to the create was lost.
    return f"{settings.LEADFLOW_PUBLIC_URL}{reverse('twilio-message-status')}?m={message.pk}"


def whatsapp_send(message: OutboundMessage) -> str:
    """Send ``message``; return the provider's SID. Raises SendFailed."""
    if not message.content_sid and not sandbox() and not in_session_window(message.lead):
        raise SendFailed(
            TwilioFailure.PERMANENT,
            f"no approved WhatsApp template (content SID) for “{message.purpose}” in "
            f"“{message.language}”; outside the customer's 24-hour window only approved "
            "templates may be sent",
            "no_template",
        )
    if sandbox():
        # Recorded, not sent: the sandbox page shows it on the customer's "phone".
        return "SB" + secrets.token_hex(16)
    params: dict[str, str] = {
        "from_": "whatsapp:" + message.dealer.whatsapp_sender,
        "to": "whatsapp:" + message.to,
        "status_callback": status_callback_url(message),
    }
    if message.content_sid:
        params["content_sid"] = message.content_sid
        params["content_variables"] = json.dumps(message.content_variables, sort_keys=True)
    else:
        params["body"] = message.body
    return twilio_message_create(params)


def twilio_message_create(params: dict[str, str]) -> str:
    """Create a message (WhatsApp or SMS) at Twilio; its SID. Raises SendFailed."""
    try:
        created = twilio_client().messages.create(**params)
    except Exception as exc:
        kind = classify_twilio_error(exc)
        code = twilio_error_code(exc)
        reason = PERMANENT_CODES.get(code or 0) or str(getattr(exc, "msg", "") or exc)
        raise SendFailed(kind, reason[:300], str(code or "")) from exc
    return created.sid
