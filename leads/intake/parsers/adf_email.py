"""ADF by email: a MIME message in, the canonical lead dict of the ADF document it carries out.

Portals that cannot post send the same ADF XML by email: as an ``.xml`` attachment, as the plain
text body, or (rarely) escaped inside an HTML body. The whole message is what IntakeRecord keeps,
so a replay finds the document again with the same rules.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

from leads.intake.parsers import PayloadError
from leads.intake.parsers.adf import parse_adf

__all__ = ["adf_documents", "parse_adf_email"]

_ADF_TEXT = re.compile(r"<adf[\s>].*</adf\s*>", re.I | re.S)
_ADF_BYTES = re.compile(rb"<adf[\s>]", re.I)
_TAG = re.compile(r"<[^>]*>")
_XML_TYPES = ("application/xml", "text/xml", "application/adf+xml")
_XML_NAMES = (".xml", ".adf")


def parse_adf_email(body: bytes) -> dict[str, Any]:
    """Parse the first readable ADF document in a MIME message.

    Raises ``PayloadError`` naming what was searched when the message holds no ADF, or the
    reason the first candidate was refused when none could be read. A document without a
    prospect id gets ``email:<Message-ID>`` as ``external_id``, so an ESP's redelivery of the
    same email is a duplicate, not a second inquiry.
    """
    message = BytesParser(EmailMessage, policy=default_policy).parsebytes(bytes(body))
    documents = adf_documents(message)
    if not documents:
        raise PayloadError(
            "the email holds no ADF document (searched attachments, text and HTML body)"
        )
    refusals: list[str] = []
    for document in documents:
        try:
            lead = parse_adf(document)
            break
        except PayloadError as exc:
            refusals.append(exc.message)
    else:
        raise PayloadError(f"the email's ADF cannot be read: {refusals[0]}")
    message_id = str(message.get("Message-ID", "")).strip()
    if not lead.get("external_id") and message_id:
        lead["external_id"] = f"email:{message_id}"[:200]
    lead["email_message"] = {
        "from": str(message.get("From", ""))[:300],
        "subject": str(message.get("Subject", ""))[:300],
        "message_id": message_id[:300],
    }
    return lead


def adf_documents(message: EmailMessage) -> list[bytes]:
    """Candidate ADF documents, most likely first: XML attachments, then text, then HTML."""
    attached: list[bytes] = []
    texts: list[bytes] = []
    htmls: list[bytes] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if content_type in _XML_TYPES or filename.endswith(_XML_NAMES):
            # Raw bytes: the ADF parser reads the XML declaration's encoding itself.
            payload = _bytes_of(part)
            if payload.strip():
                attached.append(payload)
        elif content_type == "text/plain":
            if document := _adf_in(_text_of(part)):
                texts.append(document)
        elif content_type == "text/html":
            # ADF pasted into an HTML mail arrives escaped (&lt;adf&gt;) between real tags.
            if document := _adf_in(html.unescape(_TAG.sub("", _text_of(part)))):
                htmls.append(document)
        elif part.get_content_maintype() == "application":
            payload = _bytes_of(part)
            if _ADF_BYTES.search(payload[:4096]):
                attached.append(payload)
    return attached + texts + htmls


def _bytes_of(part: EmailMessage) -> bytes:
    # get_payload(decode=True) gives bytes for a leaf part (None for a multipart container).
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, KeyError):
        # An unknown or lying charset: Latin-1 reads any byte, and the ADF markup is ASCII.
        return _bytes_of(part).decode("latin-1")


def _adf_in(text: str) -> bytes:
    match = _ADF_TEXT.search(text)
    return match.group(0).encode("utf-8") if match else b""
