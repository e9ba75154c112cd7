"""Ask Twilio to delete its copies of an erased person's calls and messages.

Runs after the erasure committed, outside any transaction. A record Twilio no longer has (404)
counts as deleted; a transient failure stays pending for the next run; anything else Twilio
refuses (e.g. a call still in progress) is kept on the receipt for support to see.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException

from followup.twilio_client import TwilioFailure, classify_twilio_error, twilio_client
from privacy.models import ErasureReceipt

log = logging.getLogger(__name__)


def erasure_provider_delete(*, receipt: ErasureReceipt) -> ErasureReceipt:
    if not receipt.provider_pending:
        return receipt
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        log.warning("erasure %s: Twilio records pending, no Twilio account set", receipt.pk)
        return receipt
    client = twilio_client()
    still: list[dict] = []
    failed = list(receipt.provider_failed)
    deleted = 0
    for item in receipt.provider_pending:
        resource = client.calls(item["sid"]) if item["kind"] == "call" else None
        if resource is None:
            resource = client.messages(item["sid"])
        try:
            resource.delete()
        except Exception as exc:
            if isinstance(exc, TwilioRestException) and exc.status == 404:
                deleted += 1
                continue
            kind = classify_twilio_error(exc)
            log.warning("erasure %s: Twilio %s %s: %s", receipt.pk, item["kind"], kind, exc)
            if kind == TwilioFailure.PERMANENT:
                failed.append({**item, "error": str(exc)[:200]})
            else:
                still.append(item)
            continue
        deleted += 1
    receipt.provider_pending = still
    receipt.provider_failed = failed
    receipt.provider_deleted += deleted
    if not still:
        receipt.provider_done_at = timezone.now()
    receipt.save(
        update_fields=[
            "provider_pending",
            "provider_failed",
            "provider_deleted",
            "provider_done_at",
        ]
    )
    return receipt


def erasures_provider_retry() -> int:
    """Receipts whose Twilio deletions are still pending (the daily run calls this)."""
    done = 0
    for receipt in ErasureReceipt.objects.filter(provider_done_at__isnull=True).order_by("at")[
        :100
    ]:
        erasure_provider_delete(receipt=receipt)
        done += 1
    return done
