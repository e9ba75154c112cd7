from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command

from leads.models import Lead
from tests.leads.reports.funnel_fixtures import sixty_percent_week

pytestmark = pytest.mark.urls("tests.leads.reports.funnel_urls")

EXPECTED_COUNTS = {"gross": 100, "reached": 80, "appointment": 48, "showed": 38, "sold": 22}
EXPECTED_RATES = {
    # rate, hit against the default targets 80 / 60 / 80 / 22
    "reached": (80.0, True),
    "appointment": (60.0, True),
    "showed": (79.2, False),  # 38 of 48 is just under 80%
    "sold": (22.0, True),
}


@pytest.fixture
def week(dealer_a, rep_a1, rep_a2):
    return sixty_percent_week(dealer_a, [rep_a1, rep_a2])


def test_manager_sees_the_sixty_percent_rule_counts_rates_and_hits(client, manager_a, week):
    client.force_login(manager_a.user)

    response = client.get("/reports/funnel/?week=2026-W47")

    assert response.status_code == 200
    total = response.context["report"].total
    assert {k: total.counts[k] for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    assert {s["stage"]: (s["rate"], s["hit"]) for s in total.stages} == EXPECTED_RATES
    page = response.content.decode()
    # German is the default language.
    for figure in ("80,0%", "60,0%", "79,2%", "22,0%"):
        assert figure in page
    assert 'class="card kpi miss"' in page  # the showed rate


def test_default_week_is_the_last_complete_week(client, manager_a, week):
    client.force_login(manager_a.user)

    response = client.get("/reports/funnel/")

    assert response.context["week"].label == "2026-W47"
    assert response.context["report"].total.gross == 100
    assert 'href="?week=2026-W46"' in response.content.decode()
    assert 'href="?week=2026-W48"' in response.content.decode()


def test_json_export_has_the_same_numbers(client, manager_a, week):
    client.force_login(manager_a.user)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    (total,) = data["totals"]
    assert {k: total[k] for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    assert {s: (total[f"{s}_rate"], total[f"{s}_hit"]) for s in EXPECTED_RATES} == EXPECTED_RATES
    assert total["lost"] == 30
    assert {row["reason"]: row["count"] for row in data["lost"]}["no contact"] == 20


def test_csv_export_has_the_same_numbers(client, manager_a, week):
    client.force_login(manager_a.user)

    response = client.get("/reports/funnel/?week=2026-W47&format=csv&table=totals")

    assert response["Content-Type"].startswith("text/csv")
    # German viewer (the default language): semicolons and decimal commas, for German Excel.
    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    assert {k: int(row[k]) for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    assert {
        s: (float(row[f"{s}_rate"].replace(",", ".")), row[f"{s}_hit"] == "True")
        for s in EXPECTED_RATES
    } == EXPECTED_RATES


def test_every_table_exports_as_csv(client, manager_a, week):
    client.force_login(manager_a.user)
    tables = json.loads(client.get("/reports/funnel/?week=2026-W47&format=json").content)

    for table in (
        "reps",
        "sources",
        "all_sources",
        "channels",
        "lost",
        "trend",
        "speed",
        "attempts",
    ):
        response = client.get(f"/reports/funnel/?week=2026-W47&format=csv&table={table}")
        assert response.status_code == 200
        text = io.StringIO(response.content.decode("utf-8-sig"))
        assert len(list(csv.DictReader(text, delimiter=";"))) == len(tables[table])


def test_command_prints_the_same_numbers_as_json_and_csv(manager_a, week, dealer_a):
    out = StringIO()
    call_command("funnel", dealer="nord", week="2026-W47", format="json", stdout=out)
    (total,) = json.loads(out.getvalue())["totals"]
    assert {k: total[k] for k in EXPECTED_COUNTS} == EXPECTED_COUNTS

    out = StringIO()
    call_command("funnel", dealer="nord", week="2026-W47", format="csv", table="totals", stdout=out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert {k: int(row[k]) for k in EXPECTED_COUNTS} == EXPECTED_COUNTS
    assert row["showed_rate"] == "79.2"


def test_breakdowns_per_salesperson_source_and_channel_add_up(client, manager_a, week):
    client.force_login(manager_a.user)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    reps = {row["label"]: row for row in data["reps"]}
    assert reps["Lena Test"]["gross"] == 50 and reps["Jonas Test"]["gross"] == 50
    assert reps["Lena Test"]["sold"] + reps["Jonas Test"]["sold"] == 22
    assert {row["key"]: row["gross"] for row in data["sources"]} == {
        "mobile.de": 50,
        "autoscout24": 25,
        "website": 25,
    }
    # All sources: 20 leads also came through the website besides their first source.
    all_sources = {row["key"]: row["gross"] for row in data["all_sources"]}
    assert all_sources == {"mobile.de": 50, "autoscout24": 25, "website": 25 + 15}
    assert {row["key"]: row["gross"] for row in data["channels"]} == {"phone": 90, "whatsapp": 10}


def test_speed_to_lead_percentiles_and_shares(client, manager_a, week):
    client.force_login(manager_a.user)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    everyone = next(r for r in data["speed"] if r["measure"] == "salesperson" and r["key"] == "all")
    assert everyone["leads"] == 100 and everyone["rang"] == 100
    assert everyone["p50_seconds"] == 60.0  # between the 50th (30 s) and 51st (90 s) lead
    assert everyone["p90_seconds"] == 480.0
    assert [everyone[f"within_{m}m"] for m in (1, 2, 5, 10)] == [50.0, 70.0, 85.0, 95.0]
    page = client.get("/reports/funnel/?week=2026-W47").content.decode()
    assert "1 min 0 s" in page and "8 min 0 s" in page  # p50 and p90 as a manager reads them
    customer = next(r for r in data["speed"] if r["measure"] == "customer" and r["key"] == "all")
    assert customer["rang"] == 80
    hours = {r["key"]: r["leads"] for r in data["speed"] if r["measure"] == "salesperson"}
    assert hours["open"] + hours["closed"] == 100


def test_opening_and_after_hours_follow_dealer_is_open(client, manager_a, dealer_a, week):
    client.force_login(manager_a.user)
    leads = Lead.objects.filter(dealer=dealer_a)
    expected_open = sum(dealer_a.is_open(lead.received_at) for lead in leads)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    hours = {r["key"]: r["leads"] for r in data["speed"] if r["measure"] == "salesperson"}
    assert hours == {**hours, "open": expected_open, "closed": 100 - expected_open}
    assert 0 < expected_open < 100


def test_reach_rate_climbs_with_each_attempt(client, manager_a, week):
    client.force_login(manager_a.user)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    rates = [row["reach_rate"] for row in data["attempts"]]
    assert rates[:5] == [40.0, 60.0, 70.0, 70.0, 80.0]
    assert rates[-1] == 80.0


def test_numbers_link_to_the_leads_behind_them(client, manager_a, rep_a1, week):
    client.force_login(manager_a.user)

    response = client.get("/reports/funnel/?week=2026-W47")

    page = response.content.decode()
    assert 'href="/queue/?week=2026-W47&amp;milestone=reached"' in page
    # The gap behind the missed show rate: appointments that did not show.
    assert 'href="/queue/?week=2026-W47&amp;milestone=appointment&amp;not_milestone=showed"' in page
    assert f'href="/queue/?week=2026-W47&amp;rep={rep_a1.pk}&amp;milestone=sold"' in page
    assert "/queue/?week=2026-W47&amp;milestone=lost&amp;lost_reason=no+contact" in page
    assert "/queue/?week=2026-W47&amp;source=autoscout24" in page
    assert "/queue/?week=2026-W47&amp;channel=whatsapp" in page


def test_biggest_gaps_name_the_missed_show_rate(client, manager_a, week):
    client.force_login(manager_a.user)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    assert {"group": "total", "stage": "showed", "shortfall": 1} in [
        {k: gap[k] for k in ("group", "stage", "shortfall")} for gap in data["gaps"]
    ]


def test_dealer_targets_change_hits_and_misses(client, manager_a, dealer_a, week):
    dealer_a.targets = {"reached": 85, "appointment": 60, "showed": 75, "sold": 25}
    dealer_a.save(update_fields=["targets"])
    client.force_login(manager_a.user)

    (total,) = client.get("/reports/funnel/?week=2026-W47&format=json").json()["totals"]

    assert [total[f"{s}_hit"] for s in EXPECTED_RATES] == [False, True, True, False]


def test_trend_chart_is_svg_without_inline_style_or_script(client, manager_a, week):
    client.force_login(manager_a.user)

    page = client.get("/reports/funnel/?week=2026-W47").content.decode()

    assert page.count("<svg") == 3
    assert "<polyline" in page
    assert "style=" not in page
    assert "<script>" not in page and "<script " not in page.replace('<script src="', "")
    trend = client.get("/reports/funnel/?week=2026-W47&format=json").json()["trend"]
    assert [row["week"] for row in trend][-1] == "2026-W47" and len(trend) == 12
