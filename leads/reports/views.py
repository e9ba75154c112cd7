"""The manager's funnel page, its CSV/JSON exports, and the server-rendered SVG charts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from dealers.models import Salesperson
from dealers.tenancy import staff_of
from leadflow.lib.csv_export import csv_download
from leads.models import AccessLog
from leads.reports.funnel import FunnelReport, funnel_report
from leads.reports.rows import STAGE_LABELS
from leads.reports.speed import SPEED_LIMITS
from leads.reports.weeks import Week

CHART_WIDTH = 640
CHART_HEIGHT = 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 12, 12, 28


def manager_of(request: HttpRequest) -> Salesperson:
    staff = staff_of(request)
    if staff.role != Salesperson.Role.MANAGER:
        raise PermissionDenied(_("The funnel is for managers."))
    return staff


def week_from(request: HttpRequest, tz) -> Week:
    value = request.GET.get("week")
    if not value:
        return Week.last_complete(tz)
    try:
        return Week.parse(value, tz)
    except ValueError:
        raise Http404("no such week") from None


@require_GET
def funnel(request: HttpRequest) -> HttpResponse:
    dealer = manager_of(request).dealer
    week = week_from(request, dealer.tz)
    report = funnel_report(dealer=dealer, week=week)
    fmt = request.GET.get("format", "html")
    if fmt == "json":
        return JsonResponse(report.as_json(), json_dumps_params={"ensure_ascii": False})
    if fmt == "csv":
        AccessLog.record(
            dealer_id=dealer.pk,
            user=request.user,
            action=AccessLog.Action.REPORT_CSV,
            detail={"week": week.label, "table": request.GET.get("table", "totals")},
        )
        return csv_response(report, request.GET.get("table", "totals"))
    context = {
        "nav": "funnel",
        "report": report,
        "rep_rows": [*report.reps, report.bdc] if report.bdc.gross else report.reps,
        "week": week,
        "dealer": dealer,
        "is_current_or_future": week.start > Week.last_complete(dealer.tz).start,
        "trend_chart": trend_chart(report),
        "speed_chart": speed_chart(report),
        "attempts_chart": attempts_chart(report),
        "speed_limits": SPEED_LIMITS,
        "tables": list(report.tables()),
    }
    return render(request, "leads/reports/funnel.html", context)


def csv_response(report: FunnelReport, table: str) -> HttpResponse:
    tables = report.tables()
    if table not in tables:
        raise Http404("no such table")
    # The viewer's language decides the separators their spreadsheet expects.
    response = HttpResponse(
        csv_download(tables[table], language=translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"funnel-{report.dealer.slug}-{report.week.label}-{table}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- charts: geometry computed here, drawn by the templates as SVG (no scripts, no styles) ---


def _y(percent: float | None) -> float:
    inner = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    return round(PAD_TOP + inner * (1 - min(max(percent or 0, 0), 100) / 100.0), 1)


def _grid() -> list[dict[str, Any]]:
    return [{"y": _y(p), "label": f"{p}%"} for p in (0, 25, 50, 75, 100)]


def trend_chart(report: FunnelReport) -> dict[str, Any]:
    """Rates of the last twelve weeks, one line per stage, with each stage's target dashed."""
    weeks = report.trend
    inner = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    step = inner / max(len(weeks) - 1, 1)
    xs = [round(PAD_LEFT + i * step, 1) for i in range(len(weeks))]
    series = []
    for index, (stage, _of) in enumerate(
        (("reached", 0), ("appointment", 0), ("showed", 0), ("sold", 0))
    ):
        points = []
        for x, row in zip(xs, weeks, strict=True):
            line = next(s for s in row.stages if s["stage"] == stage)
            if line["rate"] is not None:
                points.append(
                    {"x": x, "y": _y(line["rate"]), "rate": line["rate"], "week": row.key}
                )
        target = float(report.total.targets[stage])
        series.append(
            {
                "stage": stage,
                "label": STAGE_LABELS[stage],
                "css": f"s{index + 1}",
                "points": points,
                "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
                "target": target,
                "target_y": _y(target),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PAD_LEFT,
        "right": CHART_WIDTH - PAD_RIGHT,
        "grid": _grid(),
        "series": series,
        "labels": [
            {
                "x": x,
                "y": CHART_HEIGHT - 8,
                "text": f"W{row.week.number:02d}",
                "url": f"?week={row.key}",
            }
            for x, row in zip(xs, weeks, strict=True)
        ],
    }


def _bars(values: list[tuple[str, float | None, str]], css: str) -> dict[str, Any]:
    inner = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    slot = inner / max(len(values), 1)
    width = round(slot * 0.7, 1)
    bars = []
    for i, (label, percent, url) in enumerate(values):
        y = _y(percent)
        bars.append(
            {
                "x": round(PAD_LEFT + i * slot + (slot - width) / 2, 1),
                "y": y,
                "width": width,
                "height": round(CHART_HEIGHT - PAD_BOTTOM - y, 1),
                "cx": round(PAD_LEFT + i * slot + slot / 2, 1),
                "label": label,
                "value": percent,
                "url": url,
                "css": css,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PAD_LEFT,
        "right": CHART_WIDTH - PAD_RIGHT,
        "base": CHART_HEIGHT - PAD_BOTTOM,
        "label_y": CHART_HEIGHT - 8,
        "grid": _grid(),
        "bars": bars,
    }


def speed_chart(report: FunnelReport) -> dict[str, Any]:
    """A histogram of the salesperson's first ring after receipt: share of leads per bucket."""
    line = report.speed["salesperson"][0]
    n = line["leads"]
    counts = [line[f"within_{m}m_count"] for m in SPEED_LIMITS]
    buckets = []
    previous = 0
    edges = ["0", *(str(m) for m in SPEED_LIMITS)]
    for i, count in enumerate(counts):
        buckets.append((f"{edges[i]}–{edges[i + 1]} min", count - previous))
        previous = count
    buckets.append((f"> {SPEED_LIMITS[-1]} min", line["rang"] - previous))
    buckets.append((str(_("never")), n - line["rang"]))
    url = line["url"]
    values = [(label, round(100.0 * c / n, 1) if n else None, url) for label, c in buckets]
    chart = _bars(values, "speed")
    chart["bars"][0]["css"] = "speed fast"
    return chart


def attempts_chart(report: FunnelReport) -> dict[str, Any]:
    values = [
        (row["attempts"], row["reach_rate"], report.total.link(milestone="reached"))
        for row in report.attempts
    ]
    chart = _bars(values, "attempts")
    chart["target_y"] = _y(float(report.total.targets["reached"]))
    return chart
