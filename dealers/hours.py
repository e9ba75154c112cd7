"""Weekly hours ("mon": [["08:00", "18:00"]], ...) and the maths on them, in a dealer's time zone.

All arithmetic is done on local wall-clock times and converted back to aware datetimes with
zoneinfo, so a window "08:00–18:00" stays 08:00–18:00 across DST changes. A wall time that does
not exist (the spring-forward gap) is resolved by zoneinfo's fold=0 rule, i.e. shifted forward.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WeeklyHours = dict[str, list[list[str]]]


def default_opening_hours() -> WeeklyHours:
    weekday = [["08:00", "19:00"]]
    return {
        "mon": weekday,
        "tue": weekday,
        "wed": weekday,
        "thu": weekday,
        "fri": weekday,
        "sat": [["09:00", "14:00"]],
        "sun": [],
    }


def default_contact_hours() -> WeeklyHours:
    """When customers may be called or messaged: working days 08:00–20:00, no Sundays."""
    day = [["08:00", "20:00"]]
    return {name: (day if name != "sun" else []) for name in WEEKDAYS}


def _parse(value: str) -> dt.time:
    hour, minute = value.split(":")
    if value == "24:00":
        return dt.time.max
    return dt.time(int(hour), int(minute))


def validate_weekly_hours(value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Hours must be an object keyed by weekday (mon … sun).")
    for key, spans in value.items():
        if key not in WEEKDAYS:
            raise ValidationError(f"Unknown weekday {key!r}; use {', '.join(WEEKDAYS)}.")
        if not isinstance(spans, list):
            raise ValidationError(f"{key}: a list of [start, end] pairs is expected.")
        for span in spans:
            try:
                start, end = (_parse(part) for part in span)
            except (TypeError, ValueError):
                raise ValidationError(
                    f'{key}: {span!r} is not a ["HH:MM", "HH:MM"] pair.'
                ) from None
            if start >= end:
                raise ValidationError(f"{key}: {span[0]} is not before {span[1]}.")


def _spans(hours: WeeklyHours, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    return [(_parse(a), _parse(b)) for a, b in hours.get(WEEKDAYS[day.weekday()], [])]


def day_spans(hours: WeeklyHours, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The day's windows as (start, end) local times, earliest first."""
    return sorted(_spans(hours, day))


def is_within(hours: WeeklyHours, when: dt.datetime, tz: ZoneInfo) -> bool:
    local = when.astimezone(tz)
    now = local.time().replace(tzinfo=None)
    return any(start <= now < end for start, end in _spans(hours, local.date()))


def next_within(hours: WeeklyHours, when: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """``when`` if it lies inside the hours, else the start of the next window (None: never open)."""
    if is_within(hours, when, tz):
        return when
    local = when.astimezone(tz)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        for start, _end in sorted(_spans(hours, day)):
            candidate = dt.datetime.combine(day, start, tzinfo=tz)
            if candidate > local:
                return candidate.astimezone(dt.UTC)
    return None


def local_time(when: dt.datetime, tz: ZoneInfo) -> dt.time:
    return when.astimezone(tz).time().replace(tzinfo=None)
