"""Display labels for the machine values the follow-up engine stores.

The engine writes stable codes (``Lead.next_action``, ``Attempt.label``, outcomes and reasons in
``LeadEvent.data``); these functions turn them into text in the viewer's language when a page
is rendered. Unknown values are shown as they are, so free text and rows written before the
codes existed still read sensibly. ``leads`` owns this so the UI needs nothing from
``followup`` (DESIGN §2).
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from leads.models import Lead

# Next actions / attempt labels: "<kind>" or "<kind>:d<day>" (a cadence step on day N).
ACTIONS: dict[str, Promise] = {
    "call": _("Call"),
    "email": _("Email"),
    "whatsapp": _("WhatsApp"),
    "lost": _("Mark lost: no contact"),
    "close_call": _("Call: close the request?"),
    "close_email": _("Email: close the request?"),
    "close_whatsapp": _("WhatsApp: close the request?"),
    "first_call": _("First call"),
    "repeat_call": _("Repeat inquiry: call now"),
    "call_now": _("Call now"),
    "first_email": _("First email"),
    "first_whatsapp": _("First WhatsApp"),
    "recovery": _("BDC recovery call"),
    "appointment": _("Appointment"),
    "callback": _("Call back at the customer's chosen time"),
    "cadence": _("Plan the follow-up"),
}
# The engine's channel names, for an attempt without a label.
CHANNEL_ACTIONS = {
    "phone": "call",
    "email": "email",
    "whatsapp": "whatsapp",
    "lost": "lost",
    "cadence": "cadence",
}

# Rows written before the codes: their English text, mapped to the code.
_LEGACY_ACTIONS = {
    "Call": "call",
    "Email": "email",
    "WhatsApp": "whatsapp",
    "Mark lost: no contact": "lost",
    "Call: close the request?": "close_call",
    "Email: close the request?": "close_email",
    "WhatsApp: close the request?": "close_whatsapp",
    "First call": "first_call",
    "Repeat inquiry: call now": "repeat_call",
    "Call now": "call_now",
    "First email": "first_email",
    "First whatsapp": "first_whatsapp",
    "BDC recovery call": "recovery",
    "phone": "call",
}
_LEGACY_DAY = re.compile(r"^Day (\d+): (.+)$")
_CODE = re.compile(r"^([a-z_]+)(?::d(\d+))?$")

# Call and attempt outcomes (voice flow, messaging attempts, logged by a salesperson).
OUTCOMES: dict[str, Promise] = {
    "reached": _("reached"),
    "no_answer": _("no answer"),
    "voicemail": _("voicemail"),
    "wrong_number": _("wrong number"),
    "no_show": _("no-show"),
    "connected": _("connected"),
    "passed": _("passed on"),
    "bdc": _("handed to the BDC"),
    "nobody answered": _("nobody answered"),
    "nobody to ring": _("nobody to ring"),
    "failed": _("failed"),
    "customer completed": _("call too short"),
    "customer no-answer": _("the customer did not answer"),
    "customer busy": _("the customer was busy"),
    "customer failed": _("the customer could not be called"),
    "customer canceled": _("the call to the customer was cancelled"),
    "completed": _("completed"),
    "no-answer": _("no answer"),
    "busy": _("busy"),
    "canceled": _("cancelled"),
    "ringing": _("ringing"),
    "in-progress": _("answered"),
    "sent": _("sent"),
    "not applicable": _("not applicable"),
    "error": _("error"),
    "lost": _("lost"),
}

# The reasons a dealer starts with for lost leads (dealers.models.default_lost_reasons); a
# dealer's own reasons are shown as they are written.
LOST_REASONS: dict[str, Promise] = {
    "no contact": _("no contact"),
    "bought elsewhere": _("bought elsewhere"),
    "not interested": _("not interested"),
    "no budget": _("no budget"),
    "wrong data": _("wrong data"),
    "vehicle sold": _("vehicle sold"),
}

# Why attempts were cancelled or moved, why a lead was lost or went to the BDC.
REASONS: dict[str, Promise] = {
    "reached": _("reached"),
    "opted out": _("opted out"),
    "customer opted out": _("opted out"),
    "test lead": _("test lead"),
    "lost": _("lost"),
    "no allowed time": _("no allowed contact time"),
    "outside hours": _("outside hours"),
    "appointment changed": _("appointment changed"),
    "the appointment was changed or cancelled": _("the appointment was changed or cancelled"),
    "appointment booked by the customer": _("appointment booked by the customer"),
    "the customer asked to be called later": _("the customer asked to be called later"),
    "no channel": _("no channel"),
    "handed on": _("handed on by the salesperson"),
    "manual": _("assigned by hand"),
    "after hours": _("after hours"),
    "after_hours": _("after hours"),
    "after_bdc_hour": _("after the BDC hour"),
    "nobody_available": _("nobody available"),
    **LOST_REASONS,
    "wrong number": _("the phone number is wrong"),
    "call gap": _("too soon after the last call"),
    "no staff": _("nobody at work to ring yet"),
    "nobody to ring": _("nobody to ring"),
    "re-offer": _("not taken up in time"),
}
STATUS_LABELS = dict(Lead.Status.choices)

# What a message was for (OutboundMessage.purpose, cadence steps' templates).
PURPOSES: dict[str, Promise] = {
    "first": _("first message"),
    "followup": _("follow-up"),
    "close": _("last message"),
    "appointment": _("appointment confirmation"),
    "reminder": _("appointment reminder"),
    "free": _("own text"),
    "phone_check": _("asking for a phone number that works"),
}
# Where a message got to (OutboundMessage.status, and the steps the timeline records).
DELIVERY: dict[str, Promise] = {
    "queued": _("queued"),
    "scheduled": _("scheduled"),
    "sending": _("sending"),
    "sent": _("sent"),
    "delivered": _("delivered"),
    "read": _("read"),
    "failed": _("failed"),
    "undelivered": _("not delivered"),
    "unknown": _("outcome unknown"),
    "cancelled": _("cancelled"),
    "resend": _("sent again"),
    "not_sent": _("not sent"),
}


def action_code(kind: str, day: int | None = None) -> str:
    """What the engine stores for an attempt or next action (max. 40 characters)."""
    return f"{kind}:d{day}" if day else kind


def action_label(value: str | None) -> str:
    """``"call:d1"`` → "Day 1: Call" / "Tag 1: Anruf"; anything unknown as it is."""
    if not value:
        return ""
    value = str(value)
    kind, day = _parse_action(value)
    if kind is None:
        return value
    label = str(ACTIONS[kind])
    if day:
        return gettext("Day %(day)s: %(action)s") % {"day": day, "action": label}
    return label


def _parse_action(value: str) -> tuple[str | None, str | None]:
    match = _CODE.match(value)
    if match and match.group(1) in ACTIONS:
        return match.group(1), match.group(2)
    legacy = _LEGACY_DAY.match(value)
    day = None
    if legacy:
        day, value = legacy.group(1), legacy.group(2)
    return _LEGACY_ACTIONS.get(value), day


def outcome_label(value: str | None) -> str:
    if not value:
        return ""
    return str(OUTCOMES.get(str(value), value))


def reason_label(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if value in REASONS:
        return str(REASONS[value])
    if value in STATUS_LABELS:
        return str(STATUS_LABELS[value])
    if value.startswith("lead is "):
        status = value.removeprefix("lead is ")
        return gettext("the lead is %(status)s") % {"status": STATUS_LABELS.get(status, status)}
    return value


def status_label(value: str | None) -> str:
    if not value:
        return ""
    return str(STATUS_LABELS.get(str(value), value))


# The contact policy's decisions (LeadEvent kind "policy"): what was decided, and why.
POLICY_WHAT: dict[str, Promise] = {
    "first_call": _("First call"),
    "call": _("Call"),
    "recovery_call": _("BDC recovery call"),
    "click_to_call": _("Click-to-call"),
    "bridge": _("Call to the customer (press 1)"),
    "email": _("Email"),
    "whatsapp": _("WhatsApp"),
    "sms": _("SMS"),
}
# A channel as the object of consent: "no phone consent" / "keine Einwilligung in Anrufe".
CONSENT_CHANNELS: dict[str, Promise] = {
    "phone": pgettext_lazy("consent", "phone"),
    "email": pgettext_lazy("consent", "email"),
    "whatsapp": pgettext_lazy("consent", "WhatsApp"),
    "sms": pgettext_lazy("consent", "SMS"),
}
# How an opt-out arrived (LeadEvent kind "opted_out", ``data["via"]``).
OPT_OUT_VIA: dict[str, Promise] = {
    "whatsapp": _("stop word by WhatsApp"),
    "email": _("stop word by email"),
    "sms": _("stop word by SMS"),
    "email_link": _("unsubscribe link"),
    "email_one_click": _("unsubscribe link"),
    "email_unsubscribed": _("unsubscribed at the email provider"),
    "email_complained": _("spam complaint"),
    "whatsapp_provider": _("WhatsApp provider: unsubscribed"),
    "sms_provider": _("SMS provider: unsubscribed"),
    "email_provider": _("email provider: unsubscribed"),
    "salesperson": _("recorded by a salesperson"),
    "confirmed_refusal": _("refusal confirmed by a person"),
    "suppression list": _("on the suppression list"),
}
# What a contact was for, as the contact policy weighs it (consent is given per purpose).
CONSENT_PURPOSES: dict[str, Promise] = {
    "reply": _("reply to the inquiry"),
    "marketing": _("marketing"),
}
POLICY_RULES: dict[str, Promise] = {
    "test_lead": _("test lead"),
    "no_address": _("no address for this channel"),
    "no_sender": _("the dealer has no sender for this channel"),
    "suppressed": _("the customer opted out"),
    "opted_out": _("the customer opted out"),
    "possible_opt_out": _("a reply may be an opt-out; waiting for a person to confirm"),
    "no_consent": _("the customer refused %(channel)s contact"),
    "consent_unknown": _("no %(channel)s consent"),
    "no_marketing_consent": _("no consent to marketing"),
    "reply_period_over": _("the period for answering the inquiry is over"),
    "whatsapp_window": _("free text only within 24 hours of the customer's last message"),
    "quiet_hours": _("quiet hours at the customer's (%(time)s there)"),
    "dealer_hours": _("outside the dealer's contact hours"),
    "holiday": _("public holiday (%(holiday)s)"),
    "closed_day": _("the dealer is closed that day"),
}
REASONS.update(
    {
        **{
            code: POLICY_RULES[code]
            for code in (
                "test_lead",
                "no_address",
                "no_sender",
                "suppressed",
                "opted_out",
                "possible_opt_out",
                "no_marketing_consent",
                "reply_period_over",
                "whatsapp_window",
                "dealer_hours",
                "closed_day",
            )
        },
        "consent withdrawn": _("consent withdrawn"),
        "possible opt-out": _("possible opt-out"),
        "no_consent": _("no consent"),
        "consent_unknown": _("no consent"),
        "quiet_hours": _("quiet hours"),
        "holiday": _("public holiday"),
    }
)


def policy_rule_label(data: dict) -> str:
    rule = str(data.get("rule") or "")
    label = POLICY_RULES.get(rule)
    if label is None:
        return rule
    hours = data.get("hours") or {}
    return str(label) % {
        "channel": CONSENT_CHANNELS.get(data.get("channel") or "", data.get("channel") or ""),
        "time": hours.get("customer_local", "?"),
        "holiday": hours.get("detail", "?"),
    }


def _consent_text(data: dict) -> str:
    consent = data.get("consent") or {}
    source = consent.get("source")
    if source == "portal":
        return gettext("consent from the %(portal)s form") % {"portal": consent.get("portal")}
    if source == "preferred_channel":
        return gettext("the customer asked for this channel (%(portal)s)") % {
            "portal": consent.get("portal")
        }
    if source == "salesperson":
        return gettext("consent recorded by a salesperson")
    return ""


def policy_line(data: dict) -> str:
    """One timeline line for a contact decision, in the active language:
    "WhatsApp allowed: reply to the inquiry · consent from the mobile.de form · 10:04 within
    hours" or "First call not made: no phone consent."."""
    action = str(data.get("action") or "")
    key = data.get("channel") if action in ("message", "manual_message") else action
    what = str(POLICY_WHAT.get(key or "", key or ""))
    if not data.get("allowed"):
        text = gettext("%(what)s not made: %(why)s.") % {
            "what": what,
            "why": policy_rule_label(data),
        }
        if data.get("next"):
            # "… 8 a.m." must not end in two full stops.
            at = _local_time(data["next"]).rstrip(".")
            text += " " + gettext("Allowed from %(at)s.") % {"at": at}
        return text
    parts = [str(CONSENT_PURPOSES.get(data.get("purpose") or "", data.get("purpose") or ""))]
    consent = _consent_text(data)
    if consent:
        parts.append(consent)
    hours = data.get("hours") or {}
    if data.get("rule") == "override":
        parts.append(gettext("outside the allowed hours, overridden (the dealer allows it)"))
    elif hours.get("customer_local"):
        parts.append(
            gettext("%(time)s customer's time, within the allowed hours")
            % {"time": hours["customer_local"]}
        )
    return gettext("%(what)s allowed: %(why)s.") % {"what": what, "why": " · ".join(parts)}


def _local_time(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def purpose_label(value: str | None) -> str:
    """``"followup"`` → "follow-up" / "Nachfassen"; a dealer's own purpose as it is."""
    if not value:
        return ""
    value = str(value)
    if value in PURPOSES:
        return str(PURPOSES[value])
    # A cadence step without wording of its own ("followup2") reads like a follow-up, and a
    # first answer for one intent ("first_price") like a first message.
    stem = value.rstrip("0123456789").split("_", 1)[0]
    return str(PURPOSES[stem]) if stem in PURPOSES else value


def delivery_label(value: str | None) -> str:
    if not value:
        return ""
    return str(DELIVERY.get(str(value), value))
