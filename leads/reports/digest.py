"""The Monday funnel digest: last week's funnel emailed to each manager, exactly once."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dealers.models import Dealer, Salesperson
from leads.models import FunnelDigest
from leads.reports.funnel import funnel_report
from leads.reports.weeks import Week

log = logging.getLogger(__name__)
DIGEST_WEEKDAY = 0  # Monday
DIGEST_TIME = dt.time(7, 0)
# A digest still "sending" after this long was cut off (its worker died: the task's hard time
# limit is 120 s). Another run takes it over and mails the managers it had not reached yet.
SENDING_STALE_AFTER = dt.timedelta(minutes=10)


def digest_week_due(dealer: Dealer, now: dt.datetime) -> Week | None:
    """Last week, when it is Monday 07:00 or later in the dealer's time zone."""
    local = now.astimezone(dealer.tz)
    if local.weekday() != DIGEST_WEEKDAY or local.time() < DIGEST_TIME:
        return None
    return Week.last_complete(dealer.tz, now)


def funnel_digests_due(*, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """(dealer id, week) of every digest that should go out now and has not gone out yet."""
    now = now or timezone.now()
    due = {}
    for dealer in Dealer.objects.all():
        week = digest_week_due(dealer, now)
        if week is not None:
            due[dealer.pk] = week.label
    if not due:
        return []
    done = set(
        FunnelDigest.objects.filter(dealer_id__in=due)
        .exclude(status=FunnelDigest.Status.FAILED)
        .exclude(_stale_sending(now))
        .values_list("dealer_id", "week")
    )
    return [(pk, week) for pk, week in due.items() if (pk, week) not in done]


def _stale_sending(now: dt.datetime) -> Q:
    return Q(status=FunnelDigest.Status.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER)


def _claim(dealer: Dealer, week: str) -> FunnelDigest | None:
    try:
        with transaction.atomic():
            return FunnelDigest.objects.create(dealer=dealer, week=week)
    except IntegrityError:
        pass
    # Someone inserted first. A digest that failed, or whose worker died while sending, may be
    # taken over, by one worker only: the conditional UPDATE lets exactly one of them win.
    now = timezone.now()
    taken = (
        FunnelDigest.objects.filter(dealer=dealer, week=week)
        .filter(Q(status=FunnelDigest.Status.FAILED) | _stale_sending(now))
        .update(status=FunnelDigest.Status.SENDING, claimed_at=now, error="")
    )
    if not taken:
        return None
    return FunnelDigest.objects.get(dealer=dealer, week=week)


def funnel_digest_send(*, dealer_id: int, week: str) -> FunnelDigest | None:
    """Claim the (dealer, week) digest by inserting its row, then email each active manager.

    Returns None when another beat or retry has the claim. A manager already mailed by an
    earlier, failed run is not mailed again.
    """
    dealer = Dealer.objects.get(pk=dealer_id)
    digest = _claim(dealer, week)
    if digest is None:
        log.info("funnel digest %s %s: claimed elsewhere", dealer.slug, week)
        return None
    managers = list(
        Salesperson.objects.filter(
            dealer=dealer, role=Salesperson.Role.MANAGER, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
    )
    report = funnel_report(dealer=dealer, week=Week.parse(week, dealer.tz))
    sent = list(digest.recipients)
    try:
        for manager in managers:
            if manager.user.email in sent:
                continue
            message_for(report=report, manager=manager).send()
            sent.append(manager.user.email)
            # Written after each email: a run that dies half-way leaves who got it, and the
            # run that takes over does not mail them a second time.
            FunnelDigest.objects.filter(pk=digest.pk).update(recipients=sent)
    except Exception as error:
        FunnelDigest.objects.filter(pk=digest.pk).update(
            status=FunnelDigest.Status.FAILED, recipients=sent, error=repr(error)[:2000]
        )
        raise
    FunnelDigest.objects.filter(pk=digest.pk).update(
        status=FunnelDigest.Status.SENT, recipients=sent, sent_at=timezone.now()
    )
    digest.refresh_from_db()
    return digest


def message_for(*, report, manager: Salesperson) -> EmailMultiAlternatives:
    base = settings.LEADFLOW_PUBLIC_URL
    with translation.override(report.dealer.language):
        context = {
            "report": report,
            "manager": manager,
            "base": base,
            "report_url": f"{base}/reports/funnel/?week={report.week.label}",
        }
        subject = render_to_string("leads/email/funnel_digest_subject.txt", context).strip()
        text = render_to_string("leads/email/funnel_digest.txt", context)
        html = render_to_string("leads/email/funnel_digest.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[manager.user.email],
    )
    message.attach_alternative(html, "text/html")
    return message
