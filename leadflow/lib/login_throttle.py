"""Cool-off times for django-axes: growing per address, short per username.

Axes counts failures of the last ``cool_off(request)`` per address and per username and locks
at ``AXES_FAILURE_LIMIT``. An address that has been locked before gets a window twice as long
each time (its failures stay in AccessFailureLog for a day), so a sprayer slows to a crawl; an
address without a lockout gets the short username window, so a stranger's failures lock a
salesperson's name for minutes only, never for good.
"""

from __future__ import annotations

import datetime as dt

from axes.models import AccessFailureLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from leadflow.lib.client_ip import client_ip

MEMORY = dt.timedelta(hours=24)


def address_lockouts(address: str, now: dt.datetime | None = None) -> int:
    """How often the address has reached the limit in the last day, counting the attempt being
    judged: axes asks before it logs a failure, and the failure that reaches the limit must
    already get (and keep its record for) the address's longer window."""
    now = now or timezone.now()
    failures = AccessFailureLog.objects.filter(
        ip_address=address, attempt_time__gte=now - MEMORY
    ).count()
    return (failures + 1) // max(1, settings.AXES_FAILURE_LIMIT)


def cool_off(request: HttpRequest | None = None) -> dt.timedelta:
    username_window = dt.timedelta(minutes=settings.LEADFLOW_LOGIN_USERNAME_COOLOFF_MINUTES)
    if request is None:
        return username_window
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    lockouts = address_lockouts(address)
    if lockouts == 0:
        return username_window
    base = dt.timedelta(minutes=settings.LEADFLOW_LOGIN_ADDRESS_COOLOFF_MINUTES)
    return min(base * 2 ** (lockouts - 1), MEMORY)
