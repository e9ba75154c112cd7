"""Email and WhatsApp to customers. PLACEHOLDER: the messaging work replaces this module.

The engine (chain, cadence, dispatcher) calls these functions; their signatures are the
contract between the two halves of the follow-up engine.
"""

from __future__ import annotations

from dealers.models import Salesperson
from leads.engine import EngineUnavailable
from leads.models import Lead, LeadEvent


def message_send(*, lead: Lead, channel: str, purpose: str, attempt_id: int | None = None) -> bool:
    """Send the cadence message ``purpose`` ("first", "followup", "close") by ``channel``
    ("email" or "whatsapp"). Returns False when the channel may not be used for this lead
    (no address, no consent, opted out); never raises for provider errors (it records them)."""
    lead.log(
        LeadEvent.Kind.MESSAGE,
        data={"channel": channel, "purpose": purpose, "attempt": attempt_id, "placeholder": True},
    )
    return True


def message_send_manual(
    *, lead: Lead, by: Salesperson, channel: str, template: str, text: str = ""
) -> None:
    raise EngineUnavailable("Messages cannot be sent yet.")


def message_templates(*, lead: Lead) -> list[tuple[str, str]]:
    return []


def appointment_booked(*, lead: Lead, by: Salesperson) -> None:
    return None
