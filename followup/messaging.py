"""Email and WhatsApp to customers: which messages go out, and when.

The engine (chain, cadence, dispatcher) calls ``message_send``; the lead page calls
``message_templates`` / ``message_send_manual`` / ``appointment_booked`` through the engine
registry. Their signatures are the contract between the two halves of the follow-up engine.

Each message becomes a row in the outbox (``followup.outbox``), which sends it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Salesperson
from followup.channels import templates as tpl
from followup.channels.sms import text_channel
from followup.channels.texts import FIRST_PURPOSES
from followup.channels.whatsapp import in_session_window, sandbox
from followup.models import OutboundMessage
from followup.outbox import (
    EMAIL,
    SENT_OR_LATER,
    SMS,
    TEXT_CHANNELS,
    WHATSAPP,
    channel_refusal,
    message_create,
    message_enqueue,
    message_log,
    messages_cancel,
    template_for,
)
from followup.policy.gate import contact_decide, refusal_text
from followup.policy.models import ContactDecision
from leads.engine import EngineUnavailable
from leads.models import Lead, LeadEvent

REMINDER_LOCAL_TIME = dt.time(10, 0)


# -- the contract ----------------------------------------------------------------------


def message_send(*, lead: Lead, channel: str, purpose: str, attempt_id: int | None = None) -> bool:
    """Send the cadence message ``purpose`` ("first", "followup", "close") by ``channel``
    ("email" or "whatsapp"). Returns False when the channel may not be used for this lead
    (no address, no consent, opted out, test lead); never raises for provider errors (it
    records them on the row and the timeline).

    Idempotent per ``attempt_id`` and channel: a repeated call for the same attempt queues
    nothing new.
    """
    if channel_refusal(lead=lead, channel=channel) is not None:
        return False
    if (
        attempt_id is not None
        and OutboundMessage.objects.filter(attempt_id=attempt_id, channel=channel).exists()
    ):
        return True
    if channel == WHATSAPP:
        missing = whatsapp_template_missing(lead=lead, purpose=purpose)
        if missing is not None:
            # Skipped, not failed at Twilio: it never counts as an attempt, and the
            # manager's template page already lists the gap.
            lead.log(
                LeadEvent.Kind.MESSAGE,
                data={
                    "channel": channel,
                    "status": "skipped",
                    "purpose": purpose,
                    "reason": missing,
                },
            )
            return False
    message = message_create(lead=lead, channel=channel, purpose=purpose, attempt_id=attempt_id)
    if message is None:
        # Either no template at all, or a concurrent run of the same attempt queued it.
        return (
            attempt_id is not None
            and OutboundMessage.objects.filter(attempt_id=attempt_id, channel=channel).exists()
        )
    message_enqueue(message)
    return True


def message_send_manual(
    *,
    lead: Lead,
    by: Salesperson,
    channel: str,
    template: str,
    text: str = "",
    override: bool = False,
) -> None:
    """Send a template (or, where allowed, free text) for a salesperson now.

    Raises EngineUnavailable with a reason the user can act on when it is not allowed: the
    contact policy's decision (stored) says why and from when.
    """
    if by.dealer_id != lead.dealer_id:
        raise EngineUnavailable(_("This lead belongs to another dealer."))
    if channel not in TEXT_CHANNELS:
        raise EngineUnavailable(_("Messages cannot be sent by this channel."))
    key_channel, _sep, purpose = template.rpartition(":")
    decision = contact_decide(
        lead=lead,
        channel=channel,
        action="manual_message",
        purpose=purpose,
        by=by,
        override=override,
        free_text=channel == WHATSAPP and purpose == tpl.FREE and not sandbox(),
    )
    if not decision.allowed:
        raise EngineUnavailable(refusal_text(decision))
    if key_channel and key_channel != channel:
        raise EngineUnavailable(_("That template is for another channel."))
    text = text.strip()
    if purpose == tpl.FREE:
        if not text:
            raise EngineUnavailable(_("Please write the message."))
        if channel == WHATSAPP and not in_session_window(lead):
            raise EngineUnavailable(
                _(
                    "WhatsApp allows free text only within 24 hours of the customer's last "
                    "message. Please choose a template."
                )
            )
    elif f"{channel}:{purpose}" not in dict(message_templates(lead=lead)):
        raise EngineUnavailable(_("This template cannot be used for this lead now."))
    message = message_create(
        lead=lead, channel=channel, purpose=purpose, sent_by=by, text=text if text else ""
    )
    if message is None:
        raise EngineUnavailable(_("This template cannot be used for this lead now."))
    if decision.record is not None:
        ContactDecision.objects.filter(pk=decision.record.pk).update(message_id=message.pk)
    message_enqueue(message)


def message_templates(*, lead: Lead) -> list[tuple[str, str]]:
    """(key, label) of the templates usable for this lead now: consent, opt-out and
    WhatsApp's 24-hour rule respected. Keys look like "whatsapp:followup" or "email:free"."""
    labels = dict(OutboundMessage.Channel.choices)
    language = tpl.language_of(lead)
    usable: list[tuple[str, str]] = []
    # The template that fits first: the first answer until one went out, then the follow-up.
    answered = OutboundMessage.objects.filter(
        lead=lead, purpose__in=[tpl.FIRST, *FIRST_PURPOSES], status__in=SENT_OR_LATER
    ).exists()
    for channel in TEXT_CHANNELS:
        if channel_refusal(lead=lead, channel=channel) is not None:
            continue
        window = in_session_window(lead)
        available = tpl.templates_available(lead=lead, channel=channel)
        if answered:
            available.sort(key=lambda t: t.purpose != tpl.FOLLOWUP)
        for resolved in available:
            if channel == WHATSAPP and not (resolved.approved or window or sandbox()):
                continue
            usable.append((resolved.key, f"{labels[channel]}: {resolved.label}"))
        if channel in (EMAIL, SMS) or window:
            usable.append(
                (f"{channel}:{tpl.FREE}", f"{labels[channel]}: {tpl.free_label(language)}")
            )
    return usable


def appointment_booked(
    *,
    lead: Lead,
    by: Salesperson | None,
    prefer: str | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """Confirm ``lead.appointment_at`` to the customer by their preferred channel (or
    ``prefer``, as far as allowed) and schedule a reminder for the day before. Booking again
    replaces the reminder of the earlier booking. ``by`` is None when the customer booked.
    An emailed confirmation carries the appointment as an .ics file."""
    if lead.appointment_at is None:
        raise EngineUnavailable(_("The lead has no appointment time."))
    messages_cancel(lead=lead, reason="appointment changed", purposes=[tpl.REMINDER])
    channel = _appointment_channel(lead, prefer=prefer)
    if channel is None:
        lead.log(
            LeadEvent.Kind.MESSAGE,
            by=by,
            data={"purpose": tpl.APPOINTMENT, "status": "not_sent", "reason": "no channel"},
        )
        return
    context = {**(context or {}), "appointment_at": lead.appointment_at.isoformat()}
    confirmation = message_create(
        lead=lead, channel=channel, purpose=tpl.APPOINTMENT, sent_by=by, context=context
    )
    if confirmation is not None:
        message_enqueue(confirmation)
    remind_at = reminder_time(lead)
    if remind_at is not None:
        reminder = message_create(
            lead=lead,
            channel=channel,
            purpose=tpl.REMINDER,
            sent_by=by,
            context=context,
            send_after=remind_at,
        )
        if reminder is not None:
            message_log(reminder, "scheduled", send_after=remind_at.isoformat())


# -- rules -----------------------------------------------------------------------------


def whatsapp_template_missing(*, lead: Lead, purpose: str) -> str | None:
    """Why a WhatsApp for ``purpose`` cannot go out now for lack of an approved template
    (outside the customer's 24-hour window, with real Twilio), or None."""
    if sandbox() or in_session_window(lead):
        return None
    resolved = template_for(lead=lead, channel=WHATSAPP, purpose=purpose)
    if resolved is not None and resolved.approved:
        return None
    wanted = resolved.purpose if resolved is not None else purpose
    return f"no approved WhatsApp template for “{wanted}” in “{tpl.language_of(lead)}”"


def _appointment_channel(lead: Lead, prefer: str | None = None) -> str | None:
    # The dealer's text channel stands in for WhatsApp (SMS for a US dealer).
    order = [EMAIL, text_channel(lead=lead, channel=WHATSAPP)]
    if (prefer or lead.preferred_channel) in (WHATSAPP, SMS):
        order.reverse()
    for channel in order:
        if channel_refusal(lead=lead, channel=channel) is None:
            return channel
    return None


def reminder_time(lead: Lead) -> dt.datetime | None:
    """The day before the appointment, mid-morning in the dealer's time zone (within the
    customer contact hours); None when that moment has passed already."""
    dealer = lead.dealer
    appointment_at = lead.appointment_at
    if appointment_at is None:
        return None
    local = appointment_at.astimezone(dealer.tz)
    day_before = local.date() - dt.timedelta(days=1)
    when: dt.datetime | None = dt.datetime.combine(
        day_before, REMINDER_LOCAL_TIME, tzinfo=dealer.tz
    )
    if when is not None and not dealer.may_contact_customer(when):
        when = dealer.next_contact_time(when)
    if when is None or when <= timezone.now() or when >= appointment_at:
        return None
    return when


# -- the outbox ------------------------------------------------------------------------


def phone_invalid_ask(*, lead: Lead, by: Salesperson | None) -> bool:
    """The phone is wrong: WhatsApp waiting for it is cancelled, and the customer is asked
    by email for a number that works. False when there is no email to ask by."""
    messages_cancel(lead=lead, reason="wrong number", channels=[WHATSAPP, SMS])
    if channel_refusal(lead=lead, channel=EMAIL) is not None:
        return False
    message = message_create(lead=lead, channel=EMAIL, purpose=tpl.PHONE_CHECK, sent_by=by)
    if message is None:
        return False
    message_enqueue(message)
    return True
