"""Database expressions the reports share: delays in seconds, percentiles, opening hours."""

from __future__ import annotations

import math

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    FloatField,
    Func,
    Q,
    Value,
    When,
)

from dealers import hours
from dealers.models import Dealer


class Seconds(Func):
    """Seconds from the second expression to the first, as a float, on both backends."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


def percentile_cont(values: list[float], p: float) -> float | None:
    """The same interpolation as PostgreSQL's percentile_cont, for the SQLite fallback."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def has_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


def open_hours_case(dealer: Dealer) -> Case:
    """True when the lead arrived within the dealer's opening hours (Dealer.is_open), in SQL."""
    spans = Q()
    for isoday, name in enumerate(hours.WEEKDAYS, start=1):
        for start, end in dealer.opening_hours.get(name, []):
            spans |= Q(
                local_weekday=isoday,
                local_time__gte=hours._parse(start),
                local_time__lt=hours._parse(end),
            )
    whens = [When(spans, then=Value(True))] if spans else []
    return Case(*whens, default=Value(False), output_field=BooleanField())
