from __future__ import annotations

from leads.models import Lead, LeadEvent


def followup_start(*, lead: Lead, repeat: bool) -> LeadEvent | None:
    """Begin following the lead up. Idempotent: a redelivered task does not start it twice."""
    latest_trigger = (
        lead.events.filter(kind__in=[LeadEvent.Kind.RECEIVED, LeadEvent.Kind.REPEAT_INQUIRY])
        .order_by("-at", "-id")
        .first()
    )
    already = lead.events.filter(kind=LeadEvent.Kind.FOLLOWUP_STARTED)
    if latest_trigger is not None:
        already = already.filter(data__trigger=latest_trigger.pk)
    if already.exists():
        return None
    return lead.log(
        LeadEvent.Kind.FOLLOWUP_STARTED,
        data={"repeat": repeat, "trigger": latest_trigger.pk if latest_trigger else None},
    )
