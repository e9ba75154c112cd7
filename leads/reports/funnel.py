"""The manager's weekly funnel: counts, rates against the dealer's targets, speed-to-lead.

Everything is aggregated in the database from the Lead table's milestones, with a fixed number
of queries per report however many leads the week holds. Percentiles use ``percentile_cont`` on
PostgreSQL; SQLite has no such aggregate, so there the delays are fetched and interpolated the
same way in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Count,
    QuerySet,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from dealers.models import Dealer, Salesperson
from leads.labels import reason_label
from leads.models import Lead
from leads.reports.rows import (
    COUNTS,
    FunnelRow,
    counts_of,
    dealer_targets,
    funnel_aggregates,
    rate,
    week_leads,
)
from leads.reports.speed import attempts_to_reach, speed_to_lead
from leads.reports.weeks import Week

TREND_WEEKS = 12


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
            "targets": dealer_targets(self.dealer),
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
    targets = dealer_targets(dealer)
    leads = week_leads(dealer, week)
    aggregates = funnel_aggregates()

    def row(key: str, label: StrOrPromise, counts: dict[str, Any], **filters: Any) -> FunnelRow:
        return FunnelRow(key, str(label), counts_of(counts), targets, week, filters)

    total = row("total", _("All leads"), leads.aggregate(**aggregates))

    staff = {s.pk: s for s in Salesperson.objects.filter(dealer=dealer).select_related("user")}
    reps = _rep_rows(leads, aggregates, row, staff)
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

    lost = _lost_rows(dealer, leads, total)
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


def _rep_rows(
    leads: QuerySet[Lead], aggregates, row, staff: dict[int, Salesperson]
) -> list[FunnelRow]:
    # The BDC's leads are counted once, in the BDC row: not again under the agent who holds
    # them or under "Unassigned". Salespeople's rows plus the BDC row add up to the total.
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
    return reps


def _lost_rows(dealer: Dealer, leads: QuerySet[Lead], total: FunnelRow) -> list[dict[str, Any]]:
    """Lost leads by reason: the dealer's own reasons first, even at zero, then any others."""
    lost_counts = dict(
        leads.filter(lost_at__isnull=False)
        .values_list("lost_reason")
        .annotate(n=Count("id"))
        .values_list("lost_reason", "n")
    )
    reasons = list(dict.fromkeys([*(dealer.lost_reasons or []), *sorted(lost_counts)]))
    return [
        {
            "reason": reason,
            "label": reason_label(reason) or _("(no reason)"),
            "count": lost_counts.get(reason, 0),
            "share": rate(lost_counts.get(reason, 0), total.gross),
            "url": total.link(milestone="lost", lost_reason=reason),
        }
        for reason in reasons
    ]


def _all_sources(leads: QuerySet[Lead], aggregates) -> list[tuple[str, dict[str, int]]]:
    """Counts per source a lead came from (Lead.sources, a JSON list), unnested in SQL."""
    columns = list(Lead.MILESTONES.values())
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
            result[(row["dealer_id"], Week.containing(row["monday"], tz).label)] = counts_of(row)
    return result
