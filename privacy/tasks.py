from __future__ import annotations

import logging

from celery import shared_task

from privacy.retention import retention_run
from privacy.twilio_erase import erasures_provider_retry

log = logging.getLogger(__name__)

# Well inside the task time limit; what is left is done by the next link, not a longer task.
RUN_BUDGET_SECONDS = 40


@shared_task(name="privacy.retention", time_limit=90, soft_time_limit=75)
def retention() -> dict[str, object]:
    """Daily: expire what is past its period, batch by batch; hand on the rest to a new task."""
    run = retention_run(budget_seconds=RUN_BUDGET_SECONDS)
    log.info(
        "retention: %s in %s batches, longest %.3f s%s",
        run.rows,
        run.batches,
        run.longest_batch_seconds,
        "" if run.finished else ", continuing",
    )
    if not run.finished:
        retention.delay()
    else:
        erasures_provider_retry()
    return {"rows": run.rows, "finished": run.finished}
