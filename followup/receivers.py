"""The one signal: intake announces a lead, the follow-up engine takes it from there."""

from __future__ import annotations

from django.dispatch import receiver

from followup import queue
from followup.policy.models import ALL_CHANNELS
from followup.policy.suppression import suppression_channels
from followup.services import first_call_create
from leads.models import Lead
from leads.signals import lead_received


@receiver(lead_received, dispatch_uid="followup.lead_received")
def on_lead_received(sender, *, lead: Lead, repeat: bool, **kwargs) -> None:
    if lead.is_test or lead.opted_out:
        return
    # The person opted out before (on another lead, or before an erasure): the inquiry is
    # stored and nobody contacts them. One indexed lookup on the intake path.
    if set(suppression_channels(dealer=lead.dealer, phone=lead.phone, email=lead.email)) >= set(
        ALL_CHANNELS
    ):
        lead.opt_out(via="suppression list")
        return
    # The first-call row commits with the lead: if the enqueue below is lost (broker down),
    # the dispatcher's watchdog still finds it.
    attempt = first_call_create(lead=lead, repeat=repeat)
    # Enqueued only once the intake transaction commits: a worker must never look for a lead
    # that is not there yet, nor ring for one that was rolled back.
    queue.lead_start_on_commit(attempt_id=attempt.pk, lead_id=lead.pk, repeat=repeat)
