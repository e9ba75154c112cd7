"""The leads app's models, one module per concern; import them from here."""

from __future__ import annotations

from leads.models.events import LeadEvent
from leads.models.lead import IllegalMove, Lead, LeadQuerySet
from leads.models.records import AccessLog, FunnelDigest, IntakeRecord

__all__ = [
    "AccessLog",
    "FunnelDigest",
    "IllegalMove",
    "IntakeRecord",
    "Lead",
    "LeadEvent",
    "LeadQuerySet",
]
