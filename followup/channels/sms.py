"""SMS to customers through Twilio Messaging, or recorded only (sandbox provider).

An SMS carries the same wording as the WhatsApp of the same purpose (the dealer's own
WhatsApp template, else the built-in text), made to fit an SMS: ``sms_body`` writes it in
the GSM-7 alphabet where a look-alike exists (typographic quotes, dashes, "…", accents GSM-7
lacks), so the message is not sent as UCS-2 with 70 instead of 160 characters a segment, and
cuts it at a word to at most ``MAX_SEGMENTS`` segments.

Which channel carries a dealer's follow-up texts is the dealer's choice (``Dealer.text_channel``,
``text_channel``): WhatsApp, SMS where WhatsApp is missing, or SMS.
"""

from __future__ import annotations

import secrets
import unicodedata

from dealers.models import TextChannel
from followup.channels.whatsapp import sandbox, status_callback_url, twilio_message_create
from followup.models import OutboundMessage
from followup.policy.gate import contact_decide
from leads.models import Lead

SMS = OutboundMessage.Channel.SMS
WHATSAPP = OutboundMessage.Channel.WHATSAPP

# GSM 03.38: the basic set (one unit each) and the extension table (two units: escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Characters a WhatsApp text uses that GSM-7 lacks, and their GSM-7 look-alikes.
GSM7_LOOKALIKES = {
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "–": "-",
    "—": "-",
    "‑": "-",
    "…": "...",
    "•": "-",
    "·": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\t": " ",
}
# Three segments: 459 GSM-7 units, or 201 characters when a text needs UCS-2 (an emoji).
MAX_SEGMENTS = 3
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
ELLIPSIS = "..."

# The gate's denials that mean the customer cannot be reached by WhatsApp at all (rather than
# "not now" or "not any more"): then a dealer who chose it texts by SMS instead.
WHATSAPP_MISSING = frozenset({"no_address", "no_sender", "no_consent", "consent_unknown"})


def _gsm7_char(char: str) -> str:
    if char in GSM7_BASIC or char in GSM7_EXTENSION:
        return char
    if char in GSM7_LOOKALIKES:
        return GSM7_LOOKALIKES[char]
    # "ê", "ç", "ï": the letter without its accent (French accents GSM-7 lacks).
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare and all(c in GSM7_BASIC for c in bare) else char


def gsm7_units(text: str) -> int | None:
    """Septets the text takes in GSM-7, or None when it cannot be sent in GSM-7."""
    units = 0
    for char in text:
        if char in GSM7_BASIC:
            units += 1
        elif char in GSM7_EXTENSION:
            units += 2
        else:
            return None
    return units


def segments(text: str) -> int:
    """How many SMS the text is billed and sent as."""
    units = gsm7_units(text)
    if units is not None:
        return 1 if units <= GSM7_SINGLE else -(-units // GSM7_PART)
    # UCS-2 counts UTF-16 code units: an emoji takes two.
    utf16 = len(text.encode("utf-16-le")) // 2
    return 1 if utf16 <= UCS2_SINGLE else -(-utf16 // UCS2_PART)


def _fits(text: str) -> bool:
    return segments(text) <= MAX_SEGMENTS


def sms_body(text: str) -> str:
    """A message text as an SMS: GSM-7 where possible, one line break between paragraphs,
    at most MAX_SEGMENTS segments (cut at a word, ending in "...")."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    flat = "\n".join(line for line in lines if line)
    body = "".join(_gsm7_char(c) for c in flat)
    if _fits(body):
        return body
    words = body.split(" ")
    while words and not _fits(" ".join(words) + ELLIPSIS):
        words.pop()
    return (" ".join(words).rstrip(" ,;:-\n") + ELLIPSIS) if words else body[:UCS2_SINGLE]


def text_channel(*, lead: Lead, channel: str) -> str:
    """The channel a cadence text message planned for ``channel`` goes by: the dealer's
    choice for WhatsApp steps (``Dealer.text_channel``); email and calls stay as they are."""
    if channel != WHATSAPP:
        return channel
    choice = lead.dealer.text_channel
    if choice == TextChannel.SMS:
        return SMS
    if choice == TextChannel.WHATSAPP_SMS:
        whatsapp = contact_decide(
            lead=lead, channel=WHATSAPP, action="message", check_hours=False, record=False
        )
        if whatsapp.rule in WHATSAPP_MISSING:
            return SMS
    return WHATSAPP


def sms_send(message: OutboundMessage) -> str:
    """Send ``message`` as an SMS; return the provider's SID. Raises SendFailed (21610: the
    person unsubscribed at Twilio, answered by the caller with an opt-out)."""
    if sandbox():
        # Recorded, not sent: the sandbox page shows it on the customer's "phone".
        return "SB" + secrets.token_hex(16)
    sender = message.dealer.sms_sender
    params: dict[str, str] = {
        "to": message.to,
        "body": message.body,
        "status_callback": status_callback_url(message),
    }
    if sender.startswith("MG"):
        params["messaging_service_sid"] = sender
    else:
        params["from_"] = sender
    return twilio_message_create(params)
