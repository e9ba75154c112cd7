"""Twilio's inbound SMS webhook.

Signed like every Twilio callback (``followup.security.twilio_signed``: 403 without a valid
X-Twilio-Signature). Whatever a signed request carries, the answer is empty TwiML: a
missing sender, an unknown number, a body with a NUL byte (PostgreSQL refuses those in text)
or an over-long field are logged or cleaned, never a 500 that Twilio would retry for nothing.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from followup.channels.sms_inbound import sms_inbound
from followup.security import twilio_signed

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's own fields are short; an SMS body is at most 1600 characters once joined.
FIELD_LIMIT = 64
BODY_LIMIT = 1600


def _field(request: HttpRequest, name: str, limit: int = FIELD_LIMIT) -> str:
    return request.POST.get(name, "").replace("\x00", "").strip()[:limit]


@twilio_signed
@require_POST
def twilio_sms_inbound(request: HttpRequest) -> HttpResponse:
    sender = _field(request, "From")
    if not sender:
        log.warning("inbound SMS without a sender (MessageSid %s)", _field(request, "MessageSid"))
    else:
        sms_inbound(
            sender=sender,
            recipient=_field(request, "To"),
            text=_field(request, "Body", BODY_LIMIT),
            sid=_field(request, "MessageSid"),
            messaging_service=_field(request, "MessagingServiceSid"),
            opt_out_type=_field(request, "OptOutType"),
        )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
