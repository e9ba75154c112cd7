"""Email to customers through Django's email API (django-anymail in production)."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from email.utils import formataddr
from urllib.parse import urlsplit

import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac

from followup.booking.ics import appointment_ics
from followup.models import OutboundMessage
from followup.twilio_client import TwilioFailure
from leads.models import Lead

_UNSUBSCRIBE_SALT = "followup.unsubscribe"
_REPLY_SALT = "followup.reply"
_REPLY_ADDRESS = re.compile(r"^reply\+(\d+)-([0-9a-f]{16})@(.+)$", re.IGNORECASE)


class SendFailed(Exception):
    """A provider refused or failed a send; ``kind`` says whether to retry."""

    def __init__(self, kind: str, reason: str, code: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.code = code


def reply_domain() -> str:
    return settings.LEADFLOW_REPLY_DOMAIN or urlsplit(settings.LEADFLOW_PUBLIC_URL).hostname or ""


def _reply_signature(lead_id: int) -> str:
    return salted_hmac(_REPLY_SALT, str(lead_id)).hexdigest()[:16]


def reply_address(lead: Lead) -> str:
    """An address whose replies the inbound webhook can route back to this lead (and only
    this lead: the signature keeps people from writing onto other leads' timelines)."""
    return f"reply+{lead.pk}-{_reply_signature(lead.pk)}@{reply_domain()}"


def lead_id_from_reply_address(address: str) -> int | None:
    match = _REPLY_ADDRESS.match(address.strip())
    if match is None or match[3].lower() != reply_domain().lower():
        return None
    lead_id = int(match[1])
    if not constant_time_compare(match[2].lower(), _reply_signature(lead_id)):
        return None
    return lead_id


def unsubscribe_token(lead: Lead) -> str:
    return signing.dumps(lead.pk, salt=_UNSUBSCRIBE_SALT, compress=True)


def lead_id_from_unsubscribe_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(lead: Lead) -> str:
    path = reverse("message-unsubscribe", args=[unsubscribe_token(lead)])
    return settings.LEADFLOW_PUBLIC_URL + path


def email_blocks(message: OutboundMessage) -> list[dict]:
    """The HTML email's paragraphs; the first answer's one-line vehicle summary becomes the
    vehicle card (a table with photo and listing link), or the card follows the greeting
    when the dealer's own text has no summary line."""
    paragraphs = [p.strip() for p in message.body.split("\n\n") if p.strip()]
    card = (message.context or {}).get("card")
    blocks: list[dict] = [{"text": p} for p in paragraphs]
    if not isinstance(card, dict):
        return blocks
    for block in blocks:
        if block["text"] == card.get("line"):
            block.pop("text")
            block["card"] = card
            return blocks
    blocks.insert(min(1, len(blocks)), {"card": card})
    return blocks


def email_send(message: OutboundMessage) -> str:
    """Send ``message`` and return the ESP's message id ("" when the backend has none).

    Raises SendFailed.
    """
    lead = message.lead
    dealer = message.dealer
    unsubscribe = unsubscribe_url(lead)
    context = {
        "message": message,
        "lead": lead,
        "dealer": dealer,
        "blocks": email_blocks(message),
        "unsubscribe_url": unsubscribe,
    }
    with translation.override(message.language or dealer.language):
        text = render_to_string("followup/messages/email.txt", context)
        html = render_to_string("followup/messages/email.html", context)
    sender = dealer.email_from or settings.DEFAULT_FROM_EMAIL
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=formataddr((dealer.name, sender)) if dealer.email_from else sender,
        to=[message.to],
        reply_to=[reply_address(lead)],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            # RFC 8058: mail clients may POST to the URL above to unsubscribe in one click.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(html, "text/html")
    invite = _appointment_ics(message)
    if invite is not None:
        email.attach(
            "termin.ics" if message.language == "de" else "appointment.ics",
            invite,
            "text/calendar; charset=utf-8; method=PUBLISH",
        )
    # anymail: tracking events carry this back, so they find the row even without an id.
    email.metadata = {"lf_message": str(message.pk)}  # type: ignore[attr-defined]
    try:
        email.send()
    except Exception as exc:
        raise classify_email_error(exc) from exc
    status = getattr(email, "anymail_status", None)
    if status is not None:
        if status.status and status.status <= {"rejected", "invalid"}:
            raise SendFailed(TwilioFailure.PERMANENT, "the email service rejected the recipient")
        return status.message_id or ""
    return ""


def _appointment_ics(message: OutboundMessage) -> bytes | None:
    """The appointment a confirmation or reminder is about, for the customer's calendar."""
    if message.purpose not in ("appointment", "reminder"):
        return None
    try:
        starts_at = dt.datetime.fromisoformat(message.context["appointment_at"])
    except (KeyError, TypeError, ValueError):
        return None
    minutes = message.context.get("minutes")
    return appointment_ics(
        lead=message.lead,
        starts_at=starts_at,
        minutes=minutes if isinstance(minutes, int) else settings.LEADFLOW_BOOKING_SLOT_MINUTES,
        kind=str(message.context.get("kind") or "visit"),
        language=message.language or message.dealer.language,
    )


def classify_email_error(exc: BaseException) -> SendFailed:
    """Whether a failed email may be tried again (same vocabulary as Twilio's failures)."""
    if isinstance(exc, AnymailRecipientsRefused):
        return SendFailed(TwilioFailure.PERMANENT, f"recipient refused: {exc}"[:300])
    if isinstance(exc, AnymailAPIError):
        status = exc.status_code or 0
        if status >= 500 or status == 429:
            return SendFailed(TwilioFailure.TRANSIENT, str(exc)[:300], str(status))
        if 400 <= status < 500:
            return SendFailed(TwilioFailure.PERMANENT, str(exc)[:300], str(status))
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, requests.ConnectTimeout) or (
            isinstance(cause, requests.ConnectionError)
            and not isinstance(cause, requests.ReadTimeout)
        ):
            return SendFailed(TwilioFailure.TRANSIENT, str(exc)[:300])
        return SendFailed(TwilioFailure.UNKNOWN, str(exc)[:300])
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return SendFailed(TwilioFailure.PERMANENT, str(exc)[:300])
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = TwilioFailure.PERMANENT if exc.smtp_code >= 500 else TwilioFailure.TRANSIENT
        return SendFailed(kind, str(exc)[:300], str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | OSError):
        # The SMTP server accepts a message only with its final reply; without it, nothing
        # was accepted.
        return SendFailed(TwilioFailure.TRANSIENT, str(exc)[:300] or type(exc).__name__)
    return SendFailed(TwilioFailure.UNKNOWN, str(exc)[:300] or type(exc).__name__)
