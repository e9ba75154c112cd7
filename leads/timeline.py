"""The one timeline renderer: a LeadEvent → one readable line in the viewer's language.

The lead page and the sandbox both show timelines through ``event_line``. Rows are read as
data, never trusted: the engine, people and earlier versions of LeadFlow wrote them in many
shapes (evidence as a mapping or as a bare string, numbers as text, keys missing), so every
value is looked at defensively, and a row that still cannot be read becomes a plain line
(the kind of event) instead of breaking the page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from leads.labels import (
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    DELIVERY,
    OPT_OUT_VIA,
    action_label,
    delivery_label,
    outcome_label,
    policy_line,
    purpose_label,
    reason_label,
    status_label,
)
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)

K = LeadEvent.Kind
CHANNEL_LABELS = dict(Lead.Channel.choices)


def event_line(event: LeadEvent) -> str:
    """One line for ``event``; never raises."""
    data = event.data
    describe = _DESCRIBERS.get(event.kind)
    if not isinstance(data, Mapping):
        # Not what any version wrote on purpose: say what kind of event it was, no more.
        describe = None
    text = ""
    if describe is not None:
        try:
            text = describe(data)
        except Exception:
            # A shape nobody foresaw: the page must still render; the log says which row.
            log.warning("timeline event %s (%s) shown plainly", event.pk, event.kind, exc_info=True)
            text = ""
    return text or plain_line(event)


def plain_line(event: LeadEvent) -> str:
    return str(dict(K.choices).get(event.kind, event.kind or _("Event")))


# --- helpers: every value is a guess until proven ------------------------------------------


def _text(data: Mapping, key: str, default: str = "") -> str:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, Mapping | list | tuple):
        return default
    return str(value)


def _local(value: Any) -> str:
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _duration(value: Any) -> str:
    try:
        seconds = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return ""
    if seconds < 0:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


def _channel(data: Mapping) -> str:
    channel = _text(data, "channel")
    return str(CHANNEL_LABELS.get(channel, channel))


def _labels(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(action_label(str(v)) for v in value if v is not None)
    return action_label(str(value)) if value else ""


# --- one function per kind --------------------------------------------------------------------


def _evidence(value: Any) -> str:
    """Why a lead counts as reached: a mapping with ``kind`` (today) or a bare string
    (replies stored it so before)."""
    kind = value.get("kind") if isinstance(value, Mapping) else value
    if not kind or not isinstance(kind, str):
        return ""
    return str(
        {
            "call": _("Evidence: a connected call."),
            "inbound": _("Evidence: a reply from the customer."),
            "reply": _("Evidence: a reply from the customer."),
            "note": _("Evidence: the salesperson's note."),
            "reached": _("Evidence: reached before."),
            "customer_booking": _("Evidence: booked by the customer on the booking page."),
        }.get(kind, "")
    )


def _status(data: Mapping) -> str:
    text = _("Status: %(from)s → %(to)s.") % {
        "from": status_label(_text(data, "from", "?")),
        "to": status_label(_text(data, "to", "?")),
    }
    if _text(data, "reason"):
        text += " " + _("Reason: %(reason)s.") % {"reason": reason_label(_text(data, "reason"))}
    evidence = _evidence(data.get("evidence"))
    if not evidence and data.get("call") is not None and _text(data, "to") == "reached":
        evidence = _evidence("call")
    return text + (" " + evidence if evidence else "")


# What a call event says happened, by the engine's ``event`` code (followup.channels.voice).
def _call_texts() -> dict[str, str]:
    return {
        "dialing": _("Calling %(to)s"),
        "own phone": _("Dialled from the salesperson's own phone: outcome not logged yet"),
        "ringing": _("%(to)s's phone rings"),
        "answered": _("%(to)s answered"),
        "voicemail": _("Voicemail of %(to)s answered: passing on"),
        "pressed": _("%(by)s pressed %(digits)s"),
        "escalated": _("Passed from %(from)s to %(to)s"),
        "customer ringing": _("The customer's phone rings"),
        "customer answered": _("The customer answered"),
        "customer call ended": _("Call with the customer ended after %(duration)s s: %(outcome)s"),
        "retry": _("Provider error, retrying: %(error)s"),
        "failed": _("Could not call %(to)s: %(reason)s"),
        "unknown": _("Provider did not answer; checking before calling again"),
        "completed": _("Call with %(to)s ended"),
        "no-answer": _("%(to)s did not answer"),
        "busy": _("%(to)s was busy"),
        "canceled": _("Call to %(to)s cancelled"),
        "stopped": _("Ringing stopped: %(reason)s"),
        "adopted": _("Found the call at the provider; following it"),
        "given up": _("Could not confirm the call to %(to)s: %(reason)s"),
    }


def _call(data: Mapping) -> str:
    event = _text(data, "event")
    if event:
        template = _call_texts().get(event)
        if template is None:
            return ""
        values = {
            "to": _text(data, "to", "?"),
            "from": _text(data, "from", "?"),
            "by": _text(data, "by", "?"),
            "digits": _text(data, "digits", "?"),
            "duration": _text(data, "duration", "?"),
            "outcome": outcome_label(_text(data, "outcome")) or "—",
            "error": _text(data, "error", "—"),
            "reason": reason_label(_text(data, "reason")) or _text(data, "reason", "—"),
        }
        return template % values
    outcome = _text(data, "outcome") or _text(data, "status")
    if data.get("attempt") is not None and outcome:
        # The end of a ring attempt (nobody answered, nobody to ring, failed).
        text = _("Call attempt: %(outcome)s") % {"outcome": outcome_label(outcome)}
        reason = _text(data, "reason")
        return text + (f" ({reason_label(reason) or reason})" if reason else "")
    if data.get("attempt") is not None:
        # A numbered attempt and nothing more (the demo history's first call).
        return _numbered_attempt(data)
    # Rows written before the ring flow logged its steps: direction, outcome, duration.
    parts = [_("Call")]
    if outcome:
        parts.append(_("outcome: %(outcome)s") % {"outcome": outcome_label(outcome)})
    if _duration(data.get("duration")):
        parts.append(_("duration %(duration)s") % {"duration": _duration(data["duration"])})
    if data.get("connected") or data.get("bridged"):
        parts.append(_("connected"))
    return " · ".join(parts)


def _message(data: Mapping) -> str:
    status = _text(data, "delivery") or _text(data, "status")
    purpose = purpose_label(_text(data, "purpose")) or purpose_label(
        _text(data, "template").rpartition(":")[2]
    )
    if status == "skipped":
        # Never went to the provider (and never counted as an attempt).
        return _(
            "%(channel)s message not sent (%(purpose)s): no template Meta approved for the "
            "customer's language, and the customer has not written in the last 24 hours."
        ) % {"channel": _channel(data), "purpose": purpose}
    # "WhatsApp, follow-up: delivered." One line per step the message took, each in words.
    what = ", ".join(part for part in (_channel(data), purpose) if part) or _("Message")
    values = {"what": capfirst(what)}
    if status == "unknown":
        return _("%(what)s: outcome unknown, the provider did not confirm it.") % values
    if status == "scheduled":
        return _("%(what)s: scheduled for %(at)s.") % {
            **values,
            "at": _local(data.get("send_after")) or "—",
        }
    values["status"] = delivery_label(status) or str(DELIVERY["sent"])
    if data.get("confirmed_by_person"):
        values["status"] = _("marked as sent after checking")
    reason = _text(data, "reason")
    if reason and status in ("cancelled", "failed", "undelivered", "not_sent"):
        return _("%(what)s: %(status)s (%(reason)s).") % {
            **values,
            "reason": reason_label(reason) or reason,
        }
    return _("%(what)s: %(status)s.") % values


def _inbound(data: Mapping) -> str:
    text = _("Reply from the customer")
    channel = _channel(data)
    if channel:
        text += f" ({channel})"
    body = _text(data, "text") or _text(data, "body")
    if body:
        text += f": “{body}”"
    return text


def _attempt(data: Mapping) -> str:
    if data.get("cancelled") is not None:
        return _("Cancelled (%(reason)s): %(what)s.") % {
            "reason": reason_label(_text(data, "reason")) or "—",
            "what": _labels(data.get("cancelled")) or "—",
        }
    if data.get("moved"):
        return _("%(what)s moved to the next allowed time (%(reason)s).") % {
            "what": _labels(data.get("moved")),
            "reason": reason_label(_text(data, "reason")) or "—",
        }
    if data.get("scheduled"):
        return _("Scheduled: %(what)s, %(at)s.") % {
            "what": _labels(data.get("scheduled")),
            "at": _local(data.get("due_at")),
        }
    return _numbered_attempt(data)


def _numbered_attempt(data: Mapping) -> str:
    """ "Call attempt 3 to the customer: no answer." The channel and outcome may be missing
    (the demo history writes the number only); an attempt without a channel was a call."""
    step = _text(data, "step") or _text(data, "attempt")
    channel = _text(data, "channel") or Lead.Channel.PHONE
    if channel == Lead.Channel.PHONE:
        what = (
            _("Call attempt %(n)s to the customer") % {"n": step}
            if step
            else _("Call attempt to the customer")
        )
    else:
        values = {"n": step, "channel": _channel(data)}
        what = (_("Attempt %(n)s by %(channel)s") if step else _("Attempt by %(channel)s")) % values
    outcome = outcome_label(_text(data, "status") or _text(data, "outcome"))
    return _("%(what)s: %(status)s.") % {"what": what, "status": outcome} if outcome else what + "."


def _appointment(data: Mapping) -> str:
    text = _("Appointment on %(at)s.") % {"at": _local(data.get("at"))}
    if data.get("moved_from"):
        text += " " + _("Moved from %(at)s.") % {"at": _local(data["moved_from"])}
    if data.get("by_customer"):
        text += " " + _("Booked by the customer.")
    return text


def _consent(data: Mapping) -> str:
    channel = str(CONSENT_CHANNELS.get(_text(data, "channel"), _text(data, "channel")))
    if data.get("given"):
        purpose = _text(data, "purpose")
        return _("Consent to %(channel)s recorded (%(purpose)s).") % {
            "channel": channel,
            "purpose": CONSENT_PURPOSES.get(purpose, purpose),
        }
    return _("Consent to %(channel)s withdrawn.") % {"channel": channel}


def _possible_opt_out(data: Mapping) -> str:
    resolved = _text(data, "resolved")
    if resolved == "confirmed":
        return _("Confirmed as an opt-out.")
    if resolved == "dismissed":
        return _("Not an opt-out: the follow-up continues.")
    return _("The reply may be an opt-out: follow-up paused until a person checks it.")


def _assigned(data: Mapping) -> str:
    if data.get("unowned"):
        return _("Nobody could be rung (%(reason)s): the lead is open to every salesperson.") % {
            "reason": reason_label(_text(data, "reason")) or "—"
        }
    name = _text(data, "name")
    if name and data.get("reason") == "hand back":
        return _("Handed back from the BDC to %(name)s.") % {"name": name}
    if name and data.get("reason") == "re-offer":
        return _("Not taken up by %(before)s in time: offered to %(name)s.") % {
            "before": _text(data, "from_name") or "—",
            "name": name,
        }
    return _("Assigned to %(name)s.") % {"name": name} if name else ""


_DESCRIBERS: dict[str, Callable[[Mapping], str]] = {
    K.RECEIVED: lambda d: _("Lead received from %(source)s.") % {"source": _text(d, "source", "?")},
    K.REPEAT_INQUIRY: lambda d: (
        _("The customer asked again via %(source)s.") % {"source": _text(d, "source", "?")}
    ),
    K.ASSIGNED: _assigned,
    K.BDC: lambda d: (
        _("Handed to the BDC (%(reason)s).") % {"reason": reason_label(_text(d, "reason")) or "—"}
    ),
    K.FOLLOWUP_STARTED: lambda d: _("Automatic follow-up started."),
    K.STATUS: _status,
    K.CALL: _call,
    K.MESSAGE: _message,
    K.INBOUND: _inbound,
    K.ATTEMPT: _attempt,
    K.NOTE: lambda d: _("Note"),
    K.OUTCOME: lambda d: (
        _("Call logged: %(outcome)s.") % {"outcome": outcome_label(_text(d, "outcome")) or "—"}
    ),
    K.OPTED_OUT: lambda d: (
        _("The customer opted out (%(via)s). No more contact.")
        % {"via": OPT_OUT_VIA.get(_text(d, "via"), _text(d, "via", "—"))}
    ),
    K.APPOINTMENT: _appointment,
    K.POLICY: lambda d: policy_line(dict(d)),
    K.CONSENT: _consent,
    K.POSSIBLE_OPT_OUT: _possible_opt_out,
}
