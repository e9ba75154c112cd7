"""The person-level suppression list: add, check, lift.

Every opt-out path writes here (STOP word, unsubscribe link, a provider's opt-out error, an ESP
complaint, the salesperson's button, an erasure), and every outbound contact checks it through
the gate. Entries are per dealer, per channel and per identifier hash (``followup.policy.person``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, Salesperson
from followup.policy.models import ALL_CHANNELS, ContactChannel, Suppression
from followup.policy.person import PersonKey, person_key


def _key(
    *, dealer: Dealer, phone: str | None, email: str | None, key: PersonKey | None
) -> PersonKey:
    return key if key is not None else person_key(dealer=dealer, phone=phone, email=email)


def suppression_add(
    *,
    dealer: Dealer,
    phone: str | None = None,
    email: str | None = None,
    channels: Iterable[str] = ALL_CHANNELS,
    reason: str,
    source: str,
    by: Salesperson | None = None,
    at: dt.datetime | None = None,
    key: PersonKey | None = None,
) -> int:
    """Suppress the person with this phone and/or email on ``channels`` at ``dealer``.

    Both identifiers are written, so the person stays suppressed when they come back with only
    one of them. Idempotent (an active entry is kept as it is, with its first reason); safe
    under concurrent calls. Returns how many entries are new.
    """
    key = _key(dealer=dealer, phone=phone, email=email, key=key)
    channels = [ContactChannel(c).value for c in channels]
    if not key or not channels:
        return 0
    at = at or timezone.now()
    rows = [
        Suppression(
            dealer=dealer,
            kind=kind,
            person_hash=digest,
            channel=channel,
            reason=reason,
            source=source,
            created_by=by,
            created_at=at,
        )
        for kind, digest in (
            (Suppression.Kind.PHONE, key.phone_hash),
            (Suppression.Kind.EMAIL, key.email_hash),
        )
        if digest
        for channel in channels
    ]
    existing = Suppression.objects.active().filter(dealer=dealer, person_hash__in=key.hashes)
    with transaction.atomic():
        before = existing.filter(channel__in=channels).count()
        # ON CONFLICT DO NOTHING against the partial unique index: a concurrent STOP and
        # unsubscribe click both succeed and leave one entry per channel.
        Suppression.objects.bulk_create(rows, ignore_conflicts=True)
        after = existing.filter(channel__in=channels).count()
    return after - before


def suppression_channels(
    *,
    dealer: Dealer,
    phone: str | None = None,
    email: str | None = None,
    key: PersonKey | None = None,
) -> dict[str, Suppression]:
    """The person's active entries by channel (oldest first wins), in one query."""
    key = _key(dealer=dealer, phone=phone, email=email, key=key)
    if not key:
        return {}
    found: dict[str, Suppression] = {}
    rows = Suppression.objects.active().filter(dealer=dealer, person_hash__in=key.hashes)
    for row in rows.order_by("created_at", "id"):
        found.setdefault(row.channel, row)
    return found


def suppression_check(
    *,
    dealer: Dealer,
    channel: str,
    phone: str | None = None,
    email: str | None = None,
    key: PersonKey | None = None,
) -> Suppression | None:
    """The active entry that forbids contacting this person on ``channel``, or None."""
    key = _key(dealer=dealer, phone=phone, email=email, key=key)
    if not key:
        return None
    return (
        Suppression.objects.active()
        .filter(dealer=dealer, person_hash__in=key.hashes, channel=channel)
        .order_by("created_at", "id")
        .first()
    )


def suppression_lift(
    *,
    dealer: Dealer,
    phone: str | None = None,
    email: str | None = None,
    channels: Iterable[str] = ALL_CHANNELS,
    by: Salesperson | None,
    reason: str,
    key: PersonKey | None = None,
) -> int:
    """Lift the person's entries on ``channels`` (they gave new consent). Kept, not deleted."""
    key = _key(dealer=dealer, phone=phone, email=email, key=key)
    if not key:
        return 0
    return (
        Suppression.objects.active()
        .filter(dealer=dealer, person_hash__in=key.hashes, channel__in=list(channels))
        .update(lifted_at=timezone.now(), lifted_by=by, lift_reason=reason[:200])
    )
