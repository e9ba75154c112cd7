"""Replies from customers by WhatsApp and email: onto the timeline, reached, STOP."""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealers.models import Dealer
from followup import queue
from followup.channels.email import lead_id_from_reply_address
from followup.models import InboundMessage, OutboundMessage
from followup.policy.consent import possible_opt_out_flag
from followup.policy.keywords import REFUSAL, STOP, classify
from followup.policy.optout import lead_opt_out
from followup.stop import followup_stop
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)

# A reply moves the lead to "reached" only from these; later stages are further along already.
REACHABLE_FROM = (Lead.Status.NEW, Lead.Status.CONTACTING)

_QUOTE_HEADER = re.compile(
    r"^(on\b.+\bwrote:|am\b.+\bschrieb\b.*:|op\b.+\bschreef\b.*:|le\b.+\ba écrit\s*:"
    r"|-+\s*(original message|ursprüngliche nachricht|oorspronkelijk bericht)\s*-+)$",
    re.IGNORECASE,
)


def is_stop(text: str) -> bool:
    """A stop word in a short message (``followup.policy.keywords``)."""
    return classify(text) == STOP


def reply_text(text: str) -> str:
    """The new part of an email reply: what comes before the quoted original."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_HEADER.match(stripped) or stripped == "--":
            break
        kept.append(line)
    return "\n".join(kept).strip() or text.strip()


def reply_receive(
    *,
    dealer: Dealer,
    lead: Lead | None,
    channel: str,
    sender: str,
    recipient: str,
    text: str,
    provider_sid: str = "",
    at: dt.datetime | None = None,
    verdict: str | None = None,
) -> InboundMessage | None:
    """Record a customer's message once. A stop word opts the person out; a sentence that may
    refuse contact pauses the follow-up for a person to confirm; neither counts as reaching
    the customer. Anything else marks the lead reached, opens WhatsApp's 24-hour window and
    tells the salesperson.

    ``verdict`` is the provider's reading where it has one (Twilio's ``OptOutType=STOP``
    for an opt-out keyword of its own); it wins over ours. Returns None for a repeated
    delivery of a message already received.
    """
    at = at or timezone.now()
    verdict = verdict or classify(text)
    stop = verdict == STOP
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMessage.objects.create(
                    dealer=dealer,
                    lead=lead,
                    channel=channel,
                    sender=sender[:254],
                    recipient=recipient[:254],
                    text=text,
                    provider_sid=provider_sid[:100],
                    opt_out=stop,
                    received_at=at,
                )
        except IntegrityError:
            return None
        if lead is None:
            log.warning(
                "%s from unknown sender %s to %s (dealer %s)",
                channel,
                sender,
                recipient,
                dealer.slug,
            )
            return inbound
        lead = Lead.objects.select_for_update().select_related("dealer").get(pk=lead.pk)
        _reply_apply(lead=lead, inbound=inbound, verdict=verdict)
    return inbound


def _reply_apply(*, lead: Lead, inbound: InboundMessage, verdict: str | None) -> None:
    """What a recorded message does to its (locked) lead."""
    _timeline_log(lead=lead, inbound=inbound, sid=inbound.provider_sid, verdict=verdict)
    if verdict == STOP:
        lead_opt_out(lead=lead, via=inbound.channel)
        return
    if verdict == REFUSAL:
        possible_opt_out_flag(lead=lead, inbound_id=inbound.pk)
    else:
        _lead_answered(lead=lead, inbound=inbound)
    queue.enqueue_on_commit(queue.REPLY_NOTIFY, inbound.pk)
    queue.push_on_commit(lead_id=lead.pk, kind="reply")


def _timeline_log(*, lead: Lead, inbound: InboundMessage, sid: str, verdict: str | None) -> None:
    lead.log(
        LeadEvent.Kind.INBOUND,
        at=inbound.received_at,
        note=inbound.text,
        data={
            "channel": inbound.channel,
            "inbound": inbound.pk,
            "sid": sid,
            "stop": verdict == STOP,
            "refusal": verdict == REFUSAL,
        },
    )


def _lead_answered(*, lead: Lead, inbound: InboundMessage) -> None:
    """The customer wrote back: WhatsApp's 24-hour window opens and the lead is reached."""
    at, channel = inbound.received_at, inbound.channel
    lead.last_inbound_at = at
    lead.save(update_fields=["last_inbound_at", "updated_at"])
    if lead.status in REACHABLE_FROM and lead.can_move_to(Lead.Status.REACHED):
        lead.move_to(
            Lead.Status.REACHED,
            at=at,
            # The same shape as every other evidence: a mapping with its kind.
            data={
                "evidence": {"kind": "inbound", "channel": channel, "inbound": inbound.pk},
                "channel": channel,
                "inbound": inbound.pk,
            },
        )
        # The reply is the contact: end the ring in progress and what is planned.
        transaction.on_commit(lambda: followup_stop(lead_id=lead.pk, reason="reached"))


def whatsapp_inbound(*, sender: str, recipient: str, text: str, sid: str) -> InboundMessage | None:
    """A WhatsApp message to a dealer's number: Twilio's webhook and the sandbox phone."""
    phone = sender.removeprefix("whatsapp:")
    number = recipient.removeprefix("whatsapp:")
    dealer = Dealer.objects.filter(Q(whatsapp_sender=number) | Q(whatsapp_sender=recipient)).first()
    if dealer is None:
        log.warning("WhatsApp from %s to %s: no dealer has that number", phone, number)
        return None
    return reply_receive(
        dealer=dealer,
        lead=lead_of_phone(dealer=dealer, phone=phone),
        channel=OutboundMessage.Channel.WHATSAPP,
        sender=phone,
        recipient=number,
        text=text,
        provider_sid=sid,
    )


def lead_of_phone(*, dealer: Dealer, phone: str) -> Lead | None:
    """The lead a message from ``phone`` answers: the newest open one, else the newest."""
    leads = Lead.objects.filter(dealer=dealer, phone=phone).select_related("dealer")
    return leads.open().order_by("-received_at").first() or leads.order_by("-received_at").first()


def email_inbound(
    *, recipients: list[str], sender: str, text: str, message_id: str = ""
) -> InboundMessage | None:
    """An email to one of our reply addresses (anymail's inbound webhook, the sandbox)."""
    addresses = [a.strip() for a in recipients if a and a.strip()]
    if not addresses:
        return None
    lead_intake = Q()
    for address in addresses:
        lead_intake |= Q(inbound_email__iexact=address)
    if Dealer.objects.filter(lead_intake).exists():
        return None  # a portal's ADF lead email: the intake's receiver handles it
    for address in addresses:
        lead_id = lead_id_from_reply_address(address)
        if lead_id is None:
            continue
        lead = Lead.objects.select_related("dealer").filter(pk=lead_id).first()
        if lead is None:
            break
        return reply_receive(
            dealer=lead.dealer,
            lead=lead,
            channel=OutboundMessage.Channel.EMAIL,
            sender=sender,
            recipient=address,
            text=reply_text(text),
            provider_sid=message_id,
        )
    log.info("inbound email from %s to %s: not a reply address", sender, ", ".join(addresses))
    return None


def reply_notify(*, inbound_id: int) -> bool:
    """Email the lead's salesperson (else the BDC) that the customer replied. At most once."""
    now = timezone.now()
    if not InboundMessage.objects.filter(pk=inbound_id, notified_at__isnull=True).update(
        notified_at=now
    ):
        return False
    inbound = InboundMessage.objects.select_related(
        "dealer", "lead__assigned_to__user", "lead__dealer"
    ).get(pk=inbound_id)
    lead = inbound.lead
    if lead is None:
        return False
    person = lead.assigned_to
    recipient = person.user.email if person is not None and person.user.email else ""
    recipient = recipient or lead.dealer.bdc_email
    if not recipient:
        return False
    with translation.override(lead.dealer.language):
        subject = _("%(customer)s replied by %(channel)s") % {
            "customer": lead.customer_name or lead.phone or lead.email,
            "channel": OutboundMessage.Channel(inbound.channel).label,
        }
        body = render_to_string(
            "followup/messages/reply_notification.txt",
            {
                "lead": lead,
                "inbound": inbound,
                "person": person,
                "lead_url": f"{settings.LEADFLOW_PUBLIC_URL}/leads/{lead.pk}/",
            },
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:
        InboundMessage.objects.filter(pk=inbound_id).update(notified_at=None)
        raise
    return True
