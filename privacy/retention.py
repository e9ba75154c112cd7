"""Keep nothing longer than needed (GDPR Art. 5(1)(e)): each data class expires on its own clock.

A daily beat task walks each class oldest first in small batches, one short transaction per
batch, so no table is locked for long and intake, the engine and the pages go on meanwhile.
The periods come from settings (environment variables, docs/privacy.md lists them).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import JSONObject
from django.utils import timezone

from followup.models import Call, InboundMessage, OutboundMessage
from leads.models import AccessLog, IntakeRecord, Lead, LeadEvent
from privacy.erase import INTAKE_PURGED, PERSONAL_FIELDS

CLOSED = (Lead.Status.SOLD, Lead.Status.LOST)
# Aim for batches of a quarter second (the budget for a held lock is one second).
TARGET_BATCH_SECONDS = 0.25
MIN_BATCH = 20
# The customer's own words on the timeline: a repeat inquiry's message, a reply.
CUSTOMER_TEXT_EVENTS = (LeadEvent.Kind.INBOUND, LeadEvent.Kind.REPEAT_INQUIRY)


@dataclass
class RetentionRun:
    """What one run did: rows per class, and how long each batch's transaction took."""

    rows: dict[str, int] = field(default_factory=dict)
    longest: dict[str, float] = field(default_factory=dict)
    batches: int = 0
    longest_batch_seconds: float = 0.0
    batch_seconds: list[float] = field(default_factory=list)
    finished: bool = True

    def add(self, name: str, count: int, seconds: float) -> None:
        self.rows[name] = self.rows.get(name, 0) + count
        self.longest[name] = max(self.longest.get(name, 0.0), seconds)
        self.batches += 1
        self.batch_seconds.append(seconds)
        self.longest_batch_seconds = max(self.longest_batch_seconds, seconds)


def _days(name: str) -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, name))


def retention_run(
    *,
    budget_seconds: float | None = None,
    batch: int | None = None,
    now: dt.datetime | None = None,
) -> RetentionRun:
    """Expire every class once; stop early (``finished=False``) when the time budget is spent."""
    batch = batch or settings.LEADFLOW_RETENTION_BATCH
    now = now or timezone.now()
    started = time.monotonic()
    run = RetentionRun()
    passes: list[tuple[str, Callable[[int, dt.datetime], list[int]], Callable]] = [
        ("intake_bodies", _intake_batch, _intake_purge),
        ("closed_leads", _closed_batch, _closed_expire),
        ("old_leads", _old_batch, _old_anonymise),
        ("access_log", _access_batch, _access_delete),
        ("change_log", _changes_batch, _changes_delete),
        ("unmatched_replies", _unmatched_batch, _unmatched_delete),
    ]
    for name, select, apply in passes:
        size = batch
        while True:
            begun = time.monotonic()
            with transaction.atomic():
                ids = select(size, now)
                if ids:
                    apply(ids, now)
            if not ids:
                break
            took = time.monotonic() - begun
            run.add(name, len(ids), took)
            if len(ids) < size:
                break
            # The batch is a transaction: its duration is how long its rows stay locked. A busy
            # machine makes the same batch slower, so the next one shrinks to stay well inside
            # the budget, and grows back (up to the setting) when there is room.
            if took > TARGET_BATCH_SECONDS:
                size = max(MIN_BATCH, size // 2)
            elif took < TARGET_BATCH_SECONDS / 4:
                size = min(batch, size * 2)
            # Checked after a batch, so every run (and every link of the task) makes progress.
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                run.finished = False
                return run
    return run


# Each select takes its ids with FOR UPDATE SKIP LOCKED where PostgreSQL supports it: a row the
# engine or a person holds right now is simply done tomorrow, never waited for.


def _locked_ids(queryset, batch: int) -> list[int]:
    return list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])


def _intake_batch(batch: int, now: dt.datetime) -> list[int]:
    cutoff = now - _days("LEADFLOW_RETAIN_INTAKE_BODY_DAYS")
    return _locked_ids(
        IntakeRecord.objects.filter(purged_at__isnull=True, received_at__lt=cutoff).order_by(
            "received_at"
        ),
        batch,
    )


def _intake_purge(ids: list[int], now: dt.datetime) -> None:
    IntakeRecord.objects.filter(pk__in=ids).update(purged_at=now, **INTAKE_PURGED)


def _closed_batch(batch: int, now: dt.datetime) -> list[int]:
    cutoff = now - _days("LEADFLOW_RETAIN_CLOSED_LEAD_DAYS")
    closed_before = Q(status=Lead.Status.SOLD, sold_at__lt=cutoff) | Q(
        status=Lead.Status.LOST, lost_at__lt=cutoff
    )
    return _locked_ids(
        Lead.objects.filter(
            closed_before, data_expired_at__isnull=True, status__in=CLOSED, received_at__lt=cutoff
        ).order_by("received_at"),
        batch,
    )


def _closed_expire(ids: list[int], now: dt.datetime) -> None:
    """Phone numbers and texts go; name, email and the consent given stay (consent evidence)."""
    # One statement: of the payload only the consent block stays (null where none was sent).
    Lead.objects.filter(pk__in=ids).update(
        raw_payload=JSONObject(consent=KeyTransform("consent", "raw_payload")),
        phone="",
        message="",
        data_expired_at=now,
    )
    OutboundMessage.objects.filter(lead_id__in=ids).update(
        to="", subject="", body="", content_variables={}
    )
    InboundMessage.objects.filter(lead_id__in=ids).update(sender="", text="")
    Call.objects.filter(lead_id__in=ids).update(to="")
    LeadEvent.objects.filter(lead_id__in=ids, kind__in=CUSTOMER_TEXT_EVENTS).update(
        note="", data={}
    )


def _old_batch(batch: int, now: dt.datetime) -> list[int]:
    cutoff = now - _days("LEADFLOW_RETAIN_CONSENT_DAYS")
    return _locked_ids(
        Lead.objects.filter(erased_at__isnull=True, received_at__lt=cutoff).order_by("received_at"),
        batch,
    )


def _old_anonymise(ids: list[int], now: dt.datetime) -> None:
    """After the consent evidence's period nothing about the person is needed any more."""
    _closed_expire(ids, now)
    Lead.objects.filter(pk__in=ids).update(erased_at=now, **PERSONAL_FIELDS)
    LeadEvent.objects.filter(lead_id__in=ids).exclude(note="").update(note="")
    IntakeRecord.objects.filter(lead_id__in=ids).update(external_id="")


def _access_batch(batch: int, now: dt.datetime) -> list[int]:
    cutoff = now - _days("LEADFLOW_RETAIN_AUDIT_DAYS")
    return _locked_ids(AccessLog.objects.filter(at__lt=cutoff).order_by("at"), batch)


def _access_delete(ids: list[int], now: dt.datetime) -> None:
    AccessLog.objects.filter(pk__in=ids).delete()


def _changes_batch(batch: int, now: dt.datetime) -> list[int]:
    cutoff = now - _days("LEADFLOW_RETAIN_AUDIT_DAYS")
    return _locked_ids(LogEntry.objects.filter(timestamp__lt=cutoff).order_by("timestamp"), batch)


def _changes_delete(ids: list[int], now: dt.datetime) -> None:
    LogEntry.objects.filter(pk__in=ids).delete()


def _unmatched_batch(batch: int, now: dt.datetime) -> list[int]:
    # A reply that matched no lead is kept as long as a closed lead's texts.
    cutoff = now - _days("LEADFLOW_RETAIN_CLOSED_LEAD_DAYS")
    return _locked_ids(
        InboundMessage.objects.filter(lead__isnull=True, received_at__lt=cutoff).order_by(
            "received_at"
        ),
        batch,
    )


def _unmatched_delete(ids: list[int], now: dt.datetime) -> None:
    InboundMessage.objects.filter(pk__in=ids).delete()
