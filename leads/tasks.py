from __future__ import annotations

from celery import shared_task

from leads.alerts import meta_refused_alert_send
from leads.reports.digest import funnel_digest_send, funnel_digests_due


@shared_task(name="leads.funnel_digest_due", time_limit=60, soft_time_limit=45)
def funnel_digest_due() -> int:
    """Every 15 minutes (beat runs in UTC): hand each dealer whose Monday 07:00 has come a
    digest task. The task claims by insert, so a second beat or an overlapping tick is harmless."""
    due = funnel_digests_due()
    for dealer_id, week in due:
        send_funnel_digest.delay(dealer_id, week)
    return len(due)


@shared_task(name="leads.send_funnel_digest", time_limit=120, soft_time_limit=100)
def send_funnel_digest(dealer_id: int, week: str) -> bool:
    return funnel_digest_send(dealer_id=dealer_id, week=week) is not None


@shared_task(name="leads.meta_refused_alert", time_limit=60, soft_time_limit=45)
def meta_refused_alert(record_id: int) -> int:
    return meta_refused_alert_send(record_id=record_id)
