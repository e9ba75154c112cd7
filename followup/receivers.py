"""The one signal: intake announces a lead, the follow-up engine takes it from there."""

from __future__ import annotations

from django.dispatch import receiver

from leads.models import Lead
from leads.signals import lead_received


@receiver(lead_received, dispatch_uid="followup.lead_received")
def on_lead_received(sender, *, lead: Lead, repeat: bool, **kwargs) -> None:
    from followup.tasks import start_followup

    # Enqueued only once the intake transaction commits: a worker must never look for a lead
    # that is not there yet, nor ring for one that was rolled back.
    start_followup.delay_on_commit(lead.pk, repeat)
