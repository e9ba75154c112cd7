"""ISO weeks in a dealer's time zone, the unit of every report."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    """An ISO week in a dealer's time zone: Monday 00:00 to the next Monday 00:00, local."""

    year: int
    number: int
    tz: ZoneInfo

    @classmethod
    def parse(cls, value: str, tz: ZoneInfo) -> Week:
        match = WEEK_RE.match(value or "")
        if not match:
            raise ValueError(f"{value!r} is not an ISO week like 2026-W47")
        year, number = int(match[1]), int(match[2])
        dt.date.fromisocalendar(year, number, 1)  # ValueError for W00, W54, …
        return cls(year, number, tz)

    @classmethod
    def containing(cls, when: dt.datetime | dt.date, tz: ZoneInfo) -> Week:
        day = when.astimezone(tz).date() if isinstance(when, dt.datetime) else when
        year, number, _weekday = day.isocalendar()
        return cls(year, number, tz)

    @classmethod
    def last_complete(cls, tz: ZoneInfo, now: dt.datetime | None = None) -> Week:
        now = now or timezone.now()
        return cls.containing(now.astimezone(tz).date() - dt.timedelta(days=7), tz)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time(0), tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        # Combine the next Monday's date rather than adding 7 days to an aware datetime, so a
        # week with a DST change is 167 or 169 hours long, as on the wall clock.
        return dt.datetime.combine(self.monday + dt.timedelta(days=7), dt.time(0), tzinfo=self.tz)

    def shifted(self, weeks: int) -> Week:
        return Week.containing(self.monday + dt.timedelta(weeks=weeks), self.tz)

    @property
    def previous(self) -> Week:
        return self.shifted(-1)

    @property
    def next(self) -> Week:
        return self.shifted(1)
