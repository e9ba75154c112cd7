"""One line of the funnel (counts, rates against targets, links into the queue), and the
queries that feed it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import (
    Aggregate,
    Count,
    QuerySet,
)
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, default_targets
from leads.models import Lead
from leads.reports.weeks import Week

QUEUE_URL = "/queue/"

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
COUNTS = ("gross", *Lead.MILESTONES)


def funnel_aggregates() -> dict[str, Aggregate]:
    # COUNT(column) counts the milestones that are set; with COUNT(*) for the gross, the
    # weekly counts and the trend read only the columns the lead_funnel index covers.
    aggregates: dict[str, Aggregate] = {"gross": Count("*")}
    for name, column in Lead.MILESTONES.items():
        aggregates[name] = Count(column)
    return aggregates


def week_leads(dealer: Dealer, week: Week) -> QuerySet[Lead]:
    return Lead.objects.filter(
        dealer=dealer, is_test=False, received_at__gte=week.start, received_at__lt=week.end
    ).order_by()


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
        for name in Lead.MILESTONES:
            urls[name] = self.link(milestone=name)
        return urls

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "label": str(self.label), **self.counts}
        for stage in self.stages:
            data[f"{stage['stage']}_rate"] = stage["rate"]
            data[f"{stage['stage']}_target"] = stage["target"]
            data[f"{stage['stage']}_hit"] = stage["hit"]
        return data


def dealer_targets(dealer: Dealer) -> dict[str, float]:
    return {**default_targets(), **(dealer.targets or {})}


def counts_of(row: dict[str, Any]) -> dict[str, int]:
    return {name: int(row.get(name) or 0) for name in COUNTS}
