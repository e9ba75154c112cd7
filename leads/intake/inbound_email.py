"""ADF by email: anymail's inbound webhook hands us every email; ours are the dealers' lead
addresses (``Dealer.inbound_email``). Customer replies go to other addresses and belong to the
follow-up engine's receiver, so they are left alone here.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent
from django.conf import settings
from django.db.models import Q

from dealers.models import Dealer
from leads.intake.parsers.adf_email import parse_adf_email
from leads.intake.pipeline import intake_rejected, intake_run
from leads.intake.records import intake_record_start
from leads.models import IntakeRecord

log = logging.getLogger(__name__)

RECORDED_EMAIL_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID")


def inbound_email_received(
    sender, *, event: AnymailInboundEvent, esp_name: str = "", **kwargs
) -> None:
    """Receiver of ``anymail.signals.inbound`` (connected in LeadsConfig.ready)."""
    message = event.message
    if message is None:
        return
    for dealer in recipient_dealers(message):
        email_intake(dealer=dealer, message=message, esp_name=esp_name)


def recipient_dealers(message: AnymailInboundMessage) -> list[Dealer]:
    addresses = {
        address.lower()
        for address in [
            message.envelope_recipient or "",
            *(_addr_spec(a) for a in (*message.to, *message.cc, *message.bcc)),
        ]
        if address
    }
    if not addresses:
        return []
    match = Q()
    for address in addresses:
        match |= Q(inbound_email__iexact=address)
    return list(Dealer.objects.filter(match).order_by("pk"))


def _addr_spec(address: Address | object) -> str:
    return getattr(address, "addr_spec", "") or ""


def email_intake(
    *, dealer: Dealer, message: AnymailInboundMessage, esp_name: str = ""
) -> IntakeRecord:
    """Record the whole email, then read its ADF into a lead (or reject it with the reason)."""
    raw = _mime_bytes(message)
    limit = settings.LEADFLOW_MAX_BODY_BYTES
    if len(raw) > limit:
        # Brochures and photos are not the lead: drop them so the ADF still fits the record.
        raw = _mime_bytes(_without_binary_attachments(message))
    headers = {name: str(message[name])[:500] for name in RECORDED_EMAIL_HEADERS if message[name]}
    if esp_name:
        headers["ESP"] = esp_name
    if message.spam_detected:
        headers["Spam"] = "yes"
    record = intake_record_start(
        dealer=dealer,
        dealer_slug=dealer.slug,
        source="email",
        fmt="adf-email",
        body=raw[:limit],
        content_type="message/rfc822",
        headers=headers,
        body_size=len(raw),
    )
    if len(raw) > limit:
        intake_rejected(
            record, 413, f"email of {len(raw)} bytes is over the limit of {limit} bytes"
        )
        return record
    outcome = intake_run(
        record=record, dealer=dealer, parse=parse_adf_email, body=raw, default_source="email"
    )
    # Nobody reads this answer (anymail answers the ESP); the record keeps the outcome.
    log.info("inbound email %s for %s: %s", record.pk, dealer.slug, outcome.status_code)
    record.refresh_from_db()
    return record


def _mime_bytes(message: AnymailInboundMessage) -> bytes:
    try:
        return message.as_bytes()
    except (UnicodeError, LookupError):
        return message.as_string().encode("utf-8", "replace")


def _without_binary_attachments(message: AnymailInboundMessage) -> AnymailInboundMessage:
    copy = AnymailInboundMessage.parse_raw_mime_bytes(_mime_bytes(message))
    for part in copy.walk():
        if part.is_multipart() or not part.is_attachment():
            continue
        if part.get_content_maintype() in ("text",) or "xml" in part.get_content_type():
            continue
        if (part.get_filename() or "").lower().endswith((".xml", ".adf")):
            continue
        part.set_payload("")
        part["X-LeadFlow-Removed"] = "attachment not kept"
    return copy
