"""SMS from customers: Twilio's inbound webhook and the sandbox phone.

Twilio's Advanced Opt-Out reads the message before we do and says so in ``OptOutType``:
``STOP`` (it blocks further SMS to the number itself, and answers a send with 21610) opts
the person out here too, whatever the words; ``START`` and ``HELP`` are replies like any
other (Twilio has answered them already). A ``START`` does not lift our suppression: the
person's consent is recorded on the lead page (``followup.policy.consent``).
"""

from __future__ import annotations

import logging

from django.db.models import Q

from dealers.models import Dealer
from followup.models import InboundMessage, OutboundMessage
from followup.policy.keywords import STOP
from followup.replies import lead_of_phone, reply_receive

log = logging.getLogger(__name__)

# Twilio's OptOutType values; anything else is read by our own keyword rules.
OPT_OUT_TYPES = {"STOP": STOP}


def sms_inbound(
    *,
    sender: str,
    recipient: str,
    text: str,
    sid: str,
    messaging_service: str = "",
    opt_out_type: str = "",
) -> InboundMessage | None:
    """An SMS to a dealer's number (or messaging service): recorded on the sender's lead."""
    if not sender:
        return None
    match = Q(pk__in=[])
    for address in (recipient, messaging_service):
        if address:
            match |= Q(sms_sender=address)
    dealer = Dealer.objects.filter(match).order_by("pk").first()
    if dealer is None:
        log.warning("SMS to %s: no dealer has that number", recipient or messaging_service)
        return None
    return reply_receive(
        dealer=dealer,
        lead=lead_of_phone(dealer=dealer, phone=sender),
        channel=OutboundMessage.Channel.SMS,
        sender=sender,
        recipient=recipient,
        text=text,
        provider_sid=sid,
        verdict=OPT_OUT_TYPES.get(opt_out_type.strip().upper()),
    )
