from __future__ import annotations

from celery import shared_task

from followup.services import followup_start
from leads.models import Lead


@shared_task(name="followup.start", time_limit=30, soft_time_limit=25)
def start_followup(lead_id: int, repeat: bool = False) -> None:
    lead = Lead.objects.filter(pk=lead_id).select_related("dealer").first()
    if lead is None:  # rolled back, or deleted since: nothing to follow up
        return
    followup_start(lead=lead, repeat=repeat)
