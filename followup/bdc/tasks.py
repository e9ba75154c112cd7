from __future__ import annotations

from celery import shared_task

from followup.bdc.handback import handbacks_run
from followup.bdc.reoffer import reoffers_run


@shared_task(name="followup.bdc.sweep", time_limit=60, soft_time_limit=45, ignore_result=True)
def bdc_sweep() -> int:
    """Leads the BDC held overnight go back to the salespeople when their shift starts;
    leads a salesperson left untouched are offered to the next one."""
    return handbacks_run() + reoffers_run()
