"""The manager's weekly funnel: counts, rates against the dealer's targets, speed-to-lead.

Everything is aggregated in the database from the Lead table's milestones, with a fixed number
of queries per report however many leads the week holds. Percentiles use ``percentile_cont`` on
PostgreSQL; SQLite has no such aggregate, so there the delays are fetched and interpolated the
same way in Python.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ExtractIsoWeekDay, TruncTime, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers import hours
from dealers.models import Dealer, Salesperson, default_targets
from leads.labels import reason_label
from leads.models import Lead

QUEUE_URL = "/queue/"
TREND_WEEKS = 12
SPEED_LIMITS = (1, 2, 5, 10)  # minutes
ATTEMPT_STEPS = 8
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

# (stage, denominator): reached of gross, appointments of reached, showed of appointments,
# sold of gross — the 60% rule.
STAGES: tuple[tuple[str, str], ...] = (
    ("reached", "gross"),
    ("appointment", "reached"),
    ("showed", "appointment"),
    ("sold", "gross"),
)
STAGE_LABELS = {
    "gross": _("Gross leads"),
    "reached": _("Reached"),
    "appointment": _("Appointment set"),
    "showed": _("Showed"),
    "sold": _("Sold"),
    "lost": _("Lost"),
}
MILESTONE_FIELDS = {
    "reached": "reached_at",
    "appointment": "appointment_set_at",
    "showed": "showed_at",
    "sold": "sold_at",
    "lost": "lost_at",
}
COUNTS = ("gross", "reached", "appointment", "showed", "sold", "lost")


# --- weeks ------------------------------------------------------------------------------------


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


# --- SQL helpers ------------------------------------------------------------------------------


class Seconds(Func):
    """Seconds from the second expression to the first, as a float, on both backends."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
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


def funnel_aggregates() -> dict[str, Aggregate]:
    # COUNT(column) counts the milestones that are set; with COUNT(*) for the gross, the
    # weekly counts and the trend read only the columns the lead_funnel index covers.
    aggregates: dict[str, Aggregate] = {"gross": Count("*")}
    for name, column in MILESTONE_FIELDS.items():
        aggregates[name] = Count(column)
    return aggregates


def week_leads(dealer: Dealer, week: Week) -> QuerySet[Lead]:
    return Lead.objects.filter(
        dealer=dealer, is_test=False, received_at__gte=week.start, received_at__lt=week.end
    ).order_by()


# --- rows ---------------------------------------------------------------------------------------


def rate(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def queue_url(week: Week, **params: Any) -> str:
    pairs = [("week", week.label)]
    for key, value in params.items():
        if value is None or value == "":
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, item))
    return f"{QUEUE_URL}?{urlencode(pairs)}"


@dataclass
class FunnelRow:
    """One line of the funnel: counts, rates against targets, and a queue link per number."""

    key: str
    label: str
    counts: dict[str, int]
    targets: dict[str, float]
    week: Week
    filters: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        # Templates read row.gross, row.reached, …
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    @property
    def stages(self) -> list[dict[str, Any]]:
        result = []
        for stage, denominator in STAGES:
            value = rate(self.counts[stage], self.counts[denominator])
            target = float(self.targets[stage])
            result.append(
                {
                    "stage": stage,
                    "label": STAGE_LABELS[stage],
                    "of": denominator,
                    "count": self.counts[stage],
                    "denominator": self.counts[denominator],
                    "rate": value,
                    "target": target,
                    "hit": value is not None and value >= target,
                    "shortfall": self.shortfall(stage),
                    "url": self.link(milestone=stage),
                    "gap_url": self.gap_link(stage),
                }
            )
        return result

    def shortfall(self, stage: str) -> int:
        """How many more leads would have had to reach ``stage`` to hit its target."""
        denominator = dict(STAGES)[stage]
        needed = math.ceil(self.counts[denominator] * float(self.targets[stage]) / 100.0 - 1e-9)
        return max(0, needed - self.counts[stage])

    def link(self, **params: Any) -> str:
        return queue_url(self.week, **{**self.filters, **params})

    def gap_link(self, stage: str) -> str:
        """The leads behind a gap: they reached the stage before ``stage`` but not ``stage``."""
        denominator = dict(STAGES)[stage]
        if denominator == "gross":
            return self.link(not_milestone=stage)
        return self.link(milestone=denominator, not_milestone=stage)

    @property
    def urls(self) -> dict[str, str]:
        urls = {"gross": self.link()}
        for name in MILESTONE_FIELDS:
            urls[name] = self.link(milestone=name)
        return urls

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "label": str(self.label), **self.counts}
        for stage in self.stages:
            data[f"{stage['stage']}_rate"] = stage["rate"]
            data[f"{stage['stage']}_target"] = stage["target"]
            data[f"{stage['stage']}_hit"] = stage["hit"]
        return data


def _targets(dealer: Dealer) -> dict[str, float]:
    return {**default_targets(), **(dealer.targets or {})}


def _counts(row: dict[str, Any]) -> dict[str, int]:
    return {name: int(row.get(name) or 0) for name in COUNTS}


# --- the report ---------------------------------------------------------------------------------


@dataclass
class FunnelReport:
    dealer: Dealer
    week: Week
    total: FunnelRow
    reps: list[FunnelRow]
    bdc: FunnelRow
    sources: list[FunnelRow]
    all_sources: list[FunnelRow]
    channels: list[FunnelRow]
    lost: list[dict[str, Any]]
    trend: list[FunnelRow]
    speed: dict[str, list[dict[str, Any]]]
    attempts: list[dict[str, Any]]
    generated_at: dt.datetime

    @property
    def gaps(self) -> list[dict[str, Any]]:
        """The three biggest gaps against target, in leads short of the target."""
        candidates = []
        for group, rows in (
            ("total", [self.total]),
            ("rep", self.reps),
            ("source", self.sources),
            ("channel", self.channels),
        ):
            for row in rows:
                for stage in row.stages:
                    if not stage["hit"] and stage["shortfall"] > 0:
                        candidates.append({"group": group, "row": row, **stage})
        candidates.sort(key=lambda gap: (-gap["shortfall"], gap["group"] != "total"))
        return candidates[:3]

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table of the report as plain rows, for CSV and JSON."""
        return {
            "totals": [self.total.as_dict()],
            "reps": [row.as_dict() for row in [*self.reps, self.bdc]],
            "sources": [row.as_dict() for row in self.sources],
            "all_sources": [row.as_dict() for row in self.all_sources],
            "channels": [row.as_dict() for row in self.channels],
            "lost": [
                {
                    "reason": str(row["reason"] or row["label"]),
                    "count": row["count"],
                    "share": row["share"],
                }
                for row in self.lost
            ],
            "trend": [{"week": row.key, **row.as_dict()} for row in self.trend],
            "speed": [
                {"measure": measure, **{k: v for k, v in row.items() if k != "url"}}
                for measure, rows in self.speed.items()
                for row in rows
            ],
            "attempts": [{k: v for k, v in row.items() if k != "url"} for row in self.attempts],
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "dealer": self.dealer.slug,
            "week": self.week.label,
            "from": self.week.start.isoformat(),
            "to": self.week.end.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "targets": _targets(self.dealer),
            "gaps": [
                {
                    "group": gap["group"],
                    "key": gap["row"].key,
                    "label": str(gap["row"].label),
                    "stage": gap["stage"],
                    "rate": gap["rate"],
                    "target": gap["target"],
                    "shortfall": gap["shortfall"],
                }
                for gap in self.gaps
            ],
            **self.tables(),
        }


def funnel_report(*, dealer: Dealer, week: Week) -> FunnelReport:
    targets = _targets(dealer)
    leads = week_leads(dealer, week)
    aggregates = funnel_aggregates()

    def row(key: str, label: str, counts: dict[str, Any], **filters: Any) -> FunnelRow:
        return FunnelRow(key, label, _counts(counts), targets, week, filters)

    total = row("total", _("All leads"), leads.aggregate(**aggregates))

    staff = {s.pk: s for s in Salesperson.objects.filter(dealer=dealer).select_related("user")}
    # The BDC's leads are counted once, in the BDC row below: not again under the agent who
    # holds them or under "Unassigned". Salespeople's rows plus the BDC row add up to the total.
    reps = [
        row(
            str(item["assigned_to"] or "none"),
            staff[item["assigned_to"]].display_name
            if item["assigned_to"] in staff
            else _("Unassigned"),
            item,
            **({"rep": item["assigned_to"]} if item["assigned_to"] else {"unassigned": 1}),
        )
        for item in leads.filter(bdc=False).values("assigned_to").annotate(**aggregates)
    ]
    reps.sort(key=lambda r: (r.key == "none", str(r.label).lower()))
    bdc = row("bdc", _("BDC"), leads.filter(bdc=True).aggregate(**aggregates), bdc=1)

    sources = [
        row(item["source"], item["source"], item, source=item["source"])
        for item in leads.values("source").annotate(**aggregates).order_by("-gross", "source")
    ]
    all_sources = [
        row(name, name, counts, source=name) for name, counts in _all_sources(leads, aggregates)
    ]
    channels = [
        row(
            item["first_channel"] or "none",
            Lead.Channel(item["first_channel"]).label if item["first_channel"] else _("None yet"),
            item,
            channel=item["first_channel"] or None,
        )
        for item in leads.values("first_channel").annotate(**aggregates).order_by("-gross")
    ]

    lost_counts = dict(
        leads.filter(lost_at__isnull=False)
        .values_list("lost_reason")
        .annotate(n=Count("id"))
        .values_list("lost_reason", "n")
    )
    reasons = list(dict.fromkeys([*(dealer.lost_reasons or []), *sorted(lost_counts)]))
    lost = [
        {
            "reason": reason,
            "label": reason_label(reason) or _("(no reason)"),
            "count": lost_counts.get(reason, 0),
            "share": rate(lost_counts.get(reason, 0), total.gross),
            "url": total.link(milestone="lost", lost_reason=reason),
        }
        for reason in reasons
    ]

    trend = _trend(dealer, week, aggregates, row)

    return FunnelReport(
        dealer=dealer,
        week=week,
        total=total,
        reps=reps,
        bdc=bdc,
        sources=sources,
        all_sources=all_sources,
        channels=channels,
        lost=lost,
        trend=trend,
        speed=speed_to_lead(dealer=dealer, week=week, staff=staff),
        attempts=attempts_to_reach(dealer=dealer, week=week, total=total),
        generated_at=timezone.now(),
    )


def _all_sources(leads: QuerySet[Lead], aggregates) -> list[tuple[str, dict[str, int]]]:
    """Counts per source a lead came from (Lead.sources, a JSON list), unnested in SQL."""
    columns = list(MILESTONE_FIELDS.values())
    inner, params = leads.values("id", "sources", *columns).query.sql_with_params()
    if connection.vendor == "postgresql":
        unnest, name = (
            "CROSS JOIN LATERAL jsonb_array_elements_text(l.sources) AS s(name)",
            "s.name",
        )
        sums = [f"COUNT(*) FILTER (WHERE u.{c} IS NOT NULL)" for c in columns]
    else:
        unnest, name = ", json_each(l.sources) AS s", "s.value"
        sums = [f"SUM(CASE WHEN u.{c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns]
    picked = ", ".join(f"l.{c}" for c in columns)
    # DISTINCT: a lead that came twice through the same portal counts once for it.
    sql = (
        f"SELECT u.name, COUNT(*), {', '.join(sums)} FROM ("
        f"SELECT DISTINCT l.id, {picked}, {name} AS name FROM ({inner}) l {unnest}"
        f") u GROUP BY u.name ORDER BY COUNT(*) DESC, u.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(str(r[0]), dict(zip(COUNTS, (int(v or 0) for v in r[1:]), strict=True))) for r in rows]


def _trend(dealer: Dealer, week: Week, aggregates, row) -> list[FunnelRow]:
    first = week.shifted(-(TREND_WEEKS - 1))
    by_week = {
        Week.containing(item["monday"], dealer.tz).label: item
        for item in Lead.objects.filter(
            dealer=dealer, is_test=False, received_at__gte=first.start, received_at__lt=week.end
        )
        .order_by()
        .annotate(monday=TruncWeek("received_at", tzinfo=dealer.tz))
        .values("monday")
        .annotate(**aggregates)
    }
    result = []
    for offset in range(TREND_WEEKS):
        each = first.shifted(offset)
        line = row(each.label, each.label, by_week.get(each.label, {}))
        line.week = each
        result.append(line)
    return result


# --- speed to lead --------------------------------------------------------------------------------


SPEED_MEASURES = {
    # measure: (milestone column, label)
    "salesperson": ("first_ring_at", _("Salesperson's phone rang")),
    "customer": ("customer_rang_at", _("Customer's phone rang")),
}


def _speed_aggregates() -> dict[str, Aggregate]:
    aggregates: dict[str, Aggregate] = {"leads": Count("id")}
    for measure, (column, _label) in SPEED_MEASURES.items():
        rang = Q(**{f"{column}__isnull": False})
        aggregates[f"{measure}_rang"] = Count("id", filter=rang)
        for minutes in SPEED_LIMITS:
            aggregates[f"{measure}_within_{minutes}"] = Count(
                "id",
                filter=rang
                & Q(**{f"{column}__lte": F("received_at") + dt.timedelta(minutes=minutes)}),
            )
        if has_percentile_cont():
            delay = Seconds(F(column), F("received_at"))
            aggregates[f"{measure}_p50"] = PercentileCont(delay, 0.5, filter=rang)
            aggregates[f"{measure}_p90"] = PercentileCont(delay, 0.9, filter=rang)
    return aggregates


def speed_to_lead(
    *, dealer: Dealer, week: Week, staff: dict[int, Salesperson]
) -> dict[str, list[dict[str, Any]]]:
    """Time from receipt to the first ring, for all leads, in and out of opening hours, per rep.

    Shares are of all leads in the group (a lead nobody rang was not rung within ten minutes);
    percentiles are over the leads that rang.
    """
    leads = week_leads(dealer, week).annotate(
        local_weekday=ExtractIsoWeekDay("received_at", tzinfo=dealer.tz),
        local_time=TruncTime("received_at", tzinfo=dealer.tz),
    )
    leads = leads.annotate(in_hours=open_hours_case(dealer))
    aggregates = _speed_aggregates()
    total_filters: dict[str, Any] = {}

    groups: list[tuple[str, str, dict[str, Any], dict[str, Any], Any]] = []
    groups.append(("all", _("All leads"), leads.aggregate(**aggregates), total_filters, None))
    by_hours = {item["in_hours"]: item for item in leads.values("in_hours").annotate(**aggregates)}
    for flag, key, label in (
        (True, "open", _("Opening hours")),
        (False, "closed", _("After hours")),
    ):
        groups.append((key, label, by_hours.get(flag, {}), {}, ("in_hours", flag)))
    for item in leads.values("assigned_to").annotate(**aggregates).order_by():
        rep = item["assigned_to"]
        label = staff[rep].display_name if rep in staff else _("Unassigned")
        groups.append((f"rep-{rep or 'none'}", label, item, {"rep": rep}, ("assigned_to", rep)))

    delays: dict[tuple[str, Any], dict[str, list[float]]] = {}
    if not has_percentile_cont():
        delays = _fallback_delays(leads)

    result: dict[str, list[dict[str, Any]]] = {measure: [] for measure in SPEED_MEASURES}
    for key, label, item, filters, group in groups:
        n = int(item.get("leads") or 0)
        for measure in SPEED_MEASURES:
            line: dict[str, Any] = {
                "key": key,
                "label": str(label),
                "leads": n,
                "rang": int(item.get(f"{measure}_rang") or 0),
            }
            if has_percentile_cont():
                p50, p90 = item.get(f"{measure}_p50"), item.get(f"{measure}_p90")
            else:
                values = delays.get(group, {}).get(measure, [])
                p50, p90 = percentile_cont(values, 0.5), percentile_cont(values, 0.9)
            line["p50_seconds"] = None if p50 is None else round(p50, 1)
            line["p90_seconds"] = None if p90 is None else round(p90, 1)
            for minutes in SPEED_LIMITS:
                within = int(item.get(f"{measure}_within_{minutes}") or 0)
                line[f"within_{minutes}m_count"] = within
                line[f"within_{minutes}m"] = rate(within, n)
            line["url"] = queue_url(week, **filters)
            result[measure].append(line)
    return result


def _fallback_delays(leads: QuerySet[Lead]) -> dict[tuple[str, Any] | None, dict[str, list[float]]]:
    """SQLite: one query for every delay of the week, grouped in Python."""
    columns = {
        measure: Seconds(F(column), F("received_at"))
        for measure, (column, _l) in SPEED_MEASURES.items()
    }
    delays: dict[Any, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for item in leads.annotate(**{f"d_{m}": expr for m, expr in columns.items()}).values(
        "assigned_to", "in_hours", *(f"d_{m}" for m in columns)
    ):
        for measure in columns:
            value = item[f"d_{measure}"]
            if value is None:
                continue
            for group in (
                None,
                ("in_hours", bool(item["in_hours"])),
                ("assigned_to", item["assigned_to"]),
            ):
                delays[group][measure].append(value)
    return delays


def attempts_to_reach(*, dealer: Dealer, week: Week, total: FunnelRow) -> list[dict[str, Any]]:
    """How many attempts it took to reach a lead, and the reach rate after k attempts.

    The cumulative rate climbing attempt after attempt is why persistence pays.
    """
    counts = dict(
        week_leads(dealer, week)
        .filter(reached_at__isnull=False)
        .values_list("reached_after_attempts")
        .annotate(n=Count("id"))
        .values_list("reached_after_attempts", "n")
    )
    result = []
    cumulative = 0
    for attempts in range(1, ATTEMPT_STEPS + 1):
        # Reached before any attempt (the customer replied first) counts with the first.
        exactly = sum(
            n for k, n in counts.items() if (k or 0) == attempts or (attempts == 1 and (k or 0) < 1)
        )
        if attempts == ATTEMPT_STEPS:
            exactly += sum(n for k, n in counts.items() if (k or 0) > ATTEMPT_STEPS)
        cumulative += exactly
        result.append(
            {
                "attempts": f"{attempts}+" if attempts == ATTEMPT_STEPS else str(attempts),
                "reached": exactly,
                "reached_so_far": cumulative,
                "reach_rate": rate(cumulative, total.gross),
            }
        )
    return result


def funnel_weeks(
    *, dealers: list[Dealer], first: dt.date, last: dt.date
) -> dict[tuple[int, str], dict[str, int]]:
    """Funnel counts for many dealers and weeks at once: {(dealer id, "2026-W47"): counts}.

    One grouped query per time zone among the dealers (weeks start at local midnight), so a
    group of dealers or the benchmark's 100 × 52 weeks is one pass over the table.
    """
    by_zone: dict[str, list[Dealer]] = defaultdict(list)
    for dealer in dealers:
        by_zone[dealer.time_zone].append(dealer)
    result: dict[tuple[int, str], dict[str, int]] = {}
    for zone, members in by_zone.items():
        tz = ZoneInfo(zone)
        start = Week.containing(first, tz).start
        end = Week.containing(last, tz).end
        rows = (
            Lead.objects.filter(
                dealer__in=members, is_test=False, received_at__gte=start, received_at__lt=end
            )
            .order_by()
            .annotate(monday=TruncWeek("received_at", tzinfo=tz))
            .values("dealer_id", "monday")
            .annotate(**funnel_aggregates())
        )
        for row in rows:
            result[(row["dealer_id"], Week.containing(row["monday"], tz).label)] = _counts(row)
    return result
