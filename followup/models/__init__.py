"""The engine's durable state: the schedule (attempts), voice legs (calls), the outbox and
replies (messages); the policy's and the booking page's models live with their packages and
are re-exported here, where Django looks for the app's models."""

from __future__ import annotations

from followup.booking.models import Booking
from followup.models.attempts import Attempt, AttemptQuerySet, CadenceStep, HoursRule
from followup.models.calls import Call, RingAlarm
from followup.models.messages import InboundMessage, MessageTemplate, OutboundMessage
from followup.policy.models import Consent, ContactDecision, Suppression

__all__ = [
    "Attempt",
    "AttemptQuerySet",
    "Booking",
    "CadenceStep",
    "Call",
    "Consent",
    "ContactDecision",
    "HoursRule",
    "InboundMessage",
    "MessageTemplate",
    "OutboundMessage",
    "RingAlarm",
    "Suppression",
]
