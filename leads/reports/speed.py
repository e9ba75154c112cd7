"""Speed to lead (time from receipt to the first ring) and attempts to reach."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, ExtractIsoWeekDay, TruncTime
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from dealers.models import Dealer, Salesperson
from leads.models import Lead
from leads.reports.rows import FunnelRow, queue_url, rate, week_leads
from leads.reports.sql import (
    PercentileCont,
    Seconds,
    has_percentile_cont,
    open_hours_case,
    percentile_cont,
)
from leads.reports.weeks import Week

SPEED_LIMITS = (1, 2, 5, 10)  # minutes
ATTEMPT_STEPS = 8

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
    """Time from receipt to the first ring, for all leads, in and out of opening hours, per rep
    (the one who answered the ring, else the lead's owner).

    Shares are of all leads in the group (a lead nobody rang was not rung within ten minutes);
    percentiles are over the leads that rang.
    """
    leads = week_leads(dealer, week).annotate(
        local_weekday=ExtractIsoWeekDay("received_at", tzinfo=dealer.tz),
        local_time=TruncTime("received_at", tzinfo=dealer.tz),
        # Who answered the ring gets the lead's speed, else its owner (nobody answered yet).
        credited_to=Coalesce("first_answered_by", "assigned_to"),
    )
    leads = leads.annotate(in_hours=open_hours_case(dealer))
    aggregates = _speed_aggregates()
    total_filters: dict[str, Any] = {}

    groups: list[tuple[str, StrOrPromise, dict[str, Any], dict[str, Any], Any]] = []
    groups.append(("all", _("All leads"), leads.aggregate(**aggregates), total_filters, None))
    by_hours = {item["in_hours"]: item for item in leads.values("in_hours").annotate(**aggregates)}
    for flag, key, hours_label in (
        (True, "open", _("Opening hours")),
        (False, "closed", _("After hours")),
    ):
        groups.append((key, hours_label, by_hours.get(flag, {}), {}, ("in_hours", flag)))
    for item in leads.values("credited_to").annotate(**aggregates).order_by():
        rep = item["credited_to"]
        rep_label = staff[rep].display_name if rep in staff else _("Unassigned")
        groups.append((f"rep-{rep or 'none'}", rep_label, item, {"rep": rep}, ("credited_to", rep)))

    delays: dict[tuple[str, Any] | None, dict[str, list[float]]] = {}
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
        "credited_to", "in_hours", *(f"d_{m}" for m in columns)
    ):
        for measure in columns:
            value = item[f"d_{measure}"]
            if value is None:
                continue
            for group in (
                None,
                ("in_hours", bool(item["in_hours"])),
                ("credited_to", item["credited_to"]),
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
