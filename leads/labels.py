"""Display labels for the machine values the follow-up engine stores.

The engine writes stable codes (``Lead.next_action``, ``Attempt.label``, outcomes and reasons in
``LeadEvent.data``); these functions turn them into text in the viewer's language when a page
is rendered. Unknown values are shown as they are, so free text and rows written before the
codes existed still read sensibly. ``leads`` owns this so the UI needs nothing from
``followup`` (DESIGN §2).
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext
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
    "appointment booked by the customer": _("appointment booked by the customer"),
    "the customer asked to be called later": _("the customer asked to be called later"),
    "no channel": _("no channel"),
    "handed on": _("handed on by the salesperson"),
    "manual": _("assigned by hand"),
    "after hours": _("after hours"),
    "after_hours": _("after hours"),
    "after_bdc_hour": _("after the BDC hour"),
    "nobody_available": _("nobody available"),
    "no contact": _("no contact"),
    "bought elsewhere": _("bought elsewhere"),
    "not interested": _("not interested"),
    "no budget": _("no budget"),
    "wrong data": _("wrong data"),
    "vehicle sold": _("vehicle sold"),
}
STATUS_LABELS = dict(Lead.Status.choices)


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
