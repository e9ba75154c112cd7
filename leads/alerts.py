"""Telling a dealer's managers that something on their side stops leads from coming in."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from dealers.models import Salesperson
from leads.models import IntakeRecord

log = logging.getLogger(__name__)

# An expired page token refuses every lead until it is renewed: one email per hour of it.
ALERT_EVERY = dt.timedelta(hours=1)


def meta_refused_alert_send(*, record_id: int) -> int:
    """Email the managers that Meta's Graph API refused a lead; returns how many were mailed.

    Skipped when an earlier refusal of the same dealer within the hour already told them."""
    record = (
        IntakeRecord.objects.select_related("dealer")
        .filter(pk=record_id, outcome=IntakeRecord.Outcome.REJECTED, dealer__isnull=False)
        .first()
    )
    if record is None or record.dealer is None:
        return 0  # replayed (or settled) in the meantime
    dealer = record.dealer
    earlier = (
        IntakeRecord.objects.filter(
            dealer=dealer,
            format="meta",
            outcome=IntakeRecord.Outcome.REJECTED,
            received_at__gte=record.received_at - ALERT_EVERY,
            received_at__lt=record.received_at,
        )
        .exclude(pk=record.pk)
        .exists()
    )
    if earlier:
        return 0
    managers = list(
        Salesperson.objects.filter(
            dealer=dealer, role=Salesperson.Role.MANAGER, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
    )
    admin_url = (
        settings.LEADFLOW_PUBLIC_URL
        + reverse("admin:leads_intakerecord_changelist")
        + "?source__exact=meta&outcome__exact=rejected"
    )
    with translation.override(dealer.language):
        subject = _("Meta Lead Ads: leads cannot be fetched")
        body = _(
            "Meta's Graph API refused to hand over a lead for %(dealer)s:\n\n%(error)s\n\n"
            "Usually the page access token has expired or lacks the leads_retrieval "
            "permission. Renew it in the admin (Dealers → Webhooks), then replay the rejected "
            "Meta requests there:\n%(url)s\n\nNo lead is lost: every request is kept until "
            "it is replayed."
        ) % {"dealer": dealer.name, "error": record.error[:500], "url": admin_url}
    for manager in managers:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [manager.user.email])
    log.warning("Meta refused a lead for dealer %s; %d managers told", dealer.slug, len(managers))
    return len(managers)
