"""The two-minute promise: which leads it broke for, and telling the dealer's managers.

``late_leads`` is the one definition of "late", shared by the alarm (the dispatcher), /healthz
(``ring_sla``) and the metrics. A lead is late when, 120 s after LeadFlow received it, no
call to a salesperson or the BDC had been accepted by the voice provider (nor had a phone
rung), or at once when its ring found nobody to call. Leads whose first call was
legitimately not due yet (outside the customer's contact window) or no longer needed
(reached, lost, opted out, test lead: the attempt was cancelled) are not late.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealers.models import Salesperson
from followup import queue
from followup.models import Attempt, Call, RingAlarm
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)

RING_SLA = dt.timedelta(seconds=120)
WINDOW = dt.timedelta(hours=1)
# The first-call row is due this long after receipt (followup.progress.WATCHDOG_SECONDS).
_FIRST_CALL_DUE = dt.timedelta(seconds=30)
NOBODY = "nobody to ring"
LATE = "late"
# An alarm whose notification task was lost is handed out again after this long.
RENOTIFY_AFTER = dt.timedelta(seconds=60)


def late_leads(
    *, now: dt.datetime | None = None, window: dt.timedelta = WINDOW, dealer_id: int | None = None
) -> QuerySet[Lead]:
    """Leads received in the last ``window`` that were not rung within 120 s of receipt."""
    now = now or timezone.now()
    since = now - window
    # Through the first-call rows (indexed by status and due_at), never a scan of all leads.
    first_calls = Attempt.objects.filter(key="first_call", due_at__gte=since + _FIRST_CALL_DUE)
    # Statuses listed (not excluded) so PostgreSQL scans the (status, due_at) index.
    overdue = first_calls.filter(
        status__in=[s for s in Attempt.Status.values if s != Attempt.Status.CANCELLED],
        due_at__lte=now - RING_SLA + _FIRST_CALL_DUE,
    )
    # Moved to the customer's next contact window or the staff's next shift: not due, so not late.
    overdue = overdue.exclude(
        status=Attempt.Status.SCHEDULED, reason__in=["outside hours", "no staff"]
    )
    nobody = first_calls.filter(status=Attempt.Status.FAILED, outcome=NOBODY)
    rung_in_time = Call.objects.filter(
        lead=OuterRef("pk"),
        parent=None,
        sid__isnull=False,
        created_at__lte=OuterRef("received_at") + RING_SLA,
    )
    leads = Lead.objects.filter(is_test=False).filter(
        Q(pk__in=nobody.values("lead_id"))
        | (
            Q(pk__in=overdue.values("lead_id"))
            & ~Q(first_ring_at__lte=F("received_at") + RING_SLA)
            & ~Exists(rung_in_time)
        )
    )
    if dealer_id is not None:
        leads = leads.filter(dealer_id=dealer_id)
    return leads


def late_lead_count(*, now: dt.datetime | None = None, window: dt.timedelta = WINDOW) -> int:
    return late_leads(now=now, window=window).count()


def ring_alarms_raise(*, now: dt.datetime | None = None) -> int:
    """Record an alarm for every late lead that has none yet, and have its managers told.

    Called by the dispatcher on every run; the OneToOne row makes it once per lead however
    often, and by however many dispatchers, it runs.
    """
    now = now or timezone.now()
    found = list(
        late_leads(now=now)
        .filter(ring_alarm__isnull=True)
        .values_list("pk", "dealer_id", "first_ring_at")[:100]
    )
    if found:
        nobody = set(
            Attempt.objects.filter(
                lead_id__in=[pk for pk, _d, _r in found], key="first_call", outcome=NOBODY
            ).values_list("lead_id", flat=True)
        )
        RingAlarm.objects.bulk_create(
            [
                RingAlarm(lead_id=pk, dealer_id=dealer_id, reason=NOBODY if pk in nobody else LATE)
                for pk, dealer_id, _rang in found
            ],
            ignore_conflicts=True,
        )
    # New alarms, and alarms whose notification was lost on the way or failed (mail down).
    unsent = RingAlarm.objects.filter(notified_at=None).filter(
        Q(queued_at=None) | Q(queued_at__lte=now - RENOTIFY_AFTER)
    )
    for alarm_id in unsent.values_list("pk", flat=True)[:100]:
        _alarm_enqueue(alarm_id, now=now)
    return len(found)


def _alarm_enqueue(alarm_id: int, *, now: dt.datetime) -> None:
    stale = Q(queued_at=None) | Q(queued_at__lte=now - RENOTIFY_AFTER)
    if RingAlarm.objects.filter(stale, pk=alarm_id, notified_at=None).update(queued_at=now):
        queue.enqueue(queue.ALARM_NOTIFY, alarm_id)


def ring_alarm_raise(*, lead: Lead, reason: str) -> None:
    """An alarm at once (the ring found nobody to call), not waiting for the 120 s."""
    alarm, created = RingAlarm.objects.get_or_create(
        lead=lead, defaults={"dealer_id": lead.dealer_id, "reason": reason}
    )
    if created:
        now = timezone.now()
        transaction.on_commit(lambda: _alarm_enqueue(alarm.pk, now=now))


def ring_alarm_notify(*, alarm_id: int) -> bool:
    """Email the dealer's managers about one alarm. At most once (claimed before sending)."""
    if not RingAlarm.objects.filter(pk=alarm_id, notified_at=None).update(
        notified_at=timezone.now()
    ):
        return False
    alarm = RingAlarm.objects.select_related("lead__dealer", "lead__assigned_to__user").get(
        pk=alarm_id
    )
    lead = alarm.lead
    dealer = lead.dealer
    # Logs carry no personal data: the lead's id and the dealer's slug say enough.
    log.error(
        "ring SLA broken: lead %s of %s (%s) not rung within %s s",
        lead.pk,
        dealer.slug,
        alarm.reason,
        int(RING_SLA.total_seconds()),
    )
    recipients = sorted(
        {
            email
            for email in Salesperson.objects.filter(
                dealer=dealer, role=Salesperson.Role.MANAGER, user__is_active=True
            ).values_list("user__email", flat=True)
            if email
        }
    ) or ([dealer.bdc_email] if dealer.bdc_email else [])
    if not recipients:
        return False
    with translation.override(dealer.language or settings.LANGUAGE_CODE):
        if alarm.reason == NOBODY:
            subject = _("Nobody to ring for a new lead: %(customer)s")
        else:
            subject = _("New lead not rung within two minutes: %(customer)s")
        subject %= {"customer": lead.customer_name or lead.phone or lead.email or f"#{lead.pk}"}
        body = render_to_string(
            "followup/ring_alarm.txt",
            {
                "lead": lead,
                "alarm": alarm,
                "nobody": alarm.reason == NOBODY,
                "lead_url": f"{settings.LEADFLOW_PUBLIC_URL}/leads/{lead.pk}/",
            },
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        RingAlarm.objects.filter(pk=alarm_id).update(notified_at=None)
        raise
    return True


def bdc_unreachable(*, attempt: Attempt) -> bool:
    """A BDC lead's automatic call while the dealer has no BDC phone: nobody to ring, said at
    once (an after-hours lead's first call would otherwise only find out the next morning)."""
    lead = attempt.lead
    if (
        attempt.channel != Attempt.Channel.PHONE
        or attempt.requested_by_id is not None
        or attempt.purpose == "recovery"
        or not lead.bdc
        or lead.dealer.bdc_phone
    ):
        return False
    nobody_to_ring(lead=lead)
    return True


def nobody_to_ring(*, lead: Lead) -> None:
    """A ring found nobody (no BDC phone, an empty roster): the managers are alarmed at once,
    and a lead meant for the BDC becomes everybody's, so it shows in every salesperson's
    queue as unowned instead of waiting for a BDC that cannot be reached."""
    ring_alarm_raise(lead=lead, reason=NOBODY)
    if lead.assigned_to_id is None and Lead.objects.filter(pk=lead.pk, bdc=True).update(
        bdc=False, bdc_reason=NOBODY
    ):
        lead.bdc, lead.bdc_reason = False, NOBODY
        lead.log(LeadEvent.Kind.ASSIGNED, data={"unowned": True, "reason": NOBODY})
