from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leads.models import Lead
from leads.reports.weeks import Week
from tests.leads.reports.funnel_fixtures import sixty_percent_week

pytestmark = pytest.mark.urls("tests.leads.reports.funnel_urls")
BERLIN = ZoneInfo("Europe/Berlin")


def lead_at(dealer, when: dt.datetime, **extra) -> Lead:
    return Lead.objects.create(dealer=dealer, source="website", received_at=when, **extra)


def gross(client, week: str) -> int:
    return client.get(f"/reports/funnel/?week={week}&format=json").json()["totals"][0]["gross"]


def test_a_lead_at_2359_on_sunday_berlin_time_belongs_to_that_week(client, manager_a, dealer_a):
    lead_at(dealer_a, dt.datetime(2026, 11, 22, 23, 59, tzinfo=BERLIN))  # 22:59 UTC
    lead_at(dealer_a, dt.datetime(2026, 11, 23, 0, 0, tzinfo=BERLIN))  # Monday: next week
    lead_at(dealer_a, dt.datetime(2026, 11, 16, 0, 0, tzinfo=BERLIN))  # Monday 00:00: this week
    client.force_login(manager_a.user)

    assert gross(client, "2026-W47") == 2
    assert gross(client, "2026-W48") == 1


def test_weeks_with_a_dst_change_run_from_local_midnight_to_local_midnight(
    client, manager_a, dealer_a
):
    # Spring forward on Sunday 29 March 2026: W13 is 167 hours long.
    lead_at(dealer_a, dt.datetime(2026, 3, 23, 0, 30, tzinfo=BERLIN))  # Sunday 23:30 UTC
    lead_at(dealer_a, dt.datetime(2026, 3, 29, 23, 30, tzinfo=BERLIN))  # 21:30 UTC, CEST
    lead_at(dealer_a, dt.datetime(2026, 3, 30, 0, 30, tzinfo=BERLIN))  # next week
    # Fall back on Sunday 25 October 2026: W43 is 169 hours long.
    lead_at(dealer_a, dt.datetime(2026, 10, 19, 0, 30, tzinfo=BERLIN))  # CEST, Sunday 22:30 UTC
    lead_at(dealer_a, dt.datetime(2026, 10, 25, 23, 30, tzinfo=BERLIN))  # CET, 22:30 UTC
    lead_at(dealer_a, dt.datetime(2026, 10, 26, 0, 10, tzinfo=BERLIN))  # next week
    client.force_login(manager_a.user)

    assert gross(client, "2026-W13") == 2
    assert gross(client, "2026-W43") == 2
    for label, hours in (("2026-W13", 167), ("2026-W43", 169), ("2026-W47", 168)):
        week = Week.parse(label, BERLIN)
        length = week.end.astimezone(dt.UTC) - week.start.astimezone(dt.UTC)
        assert length == dt.timedelta(hours=hours)


def test_trend_buckets_weeks_in_the_dealers_time_zone(client, manager_a, dealer_a):
    lead_at(dealer_a, dt.datetime(2026, 11, 22, 23, 59, tzinfo=BERLIN))
    lead_at(dealer_a, dt.datetime(2026, 10, 25, 23, 30, tzinfo=BERLIN))  # after fall-back
    client.force_login(manager_a.user)

    trend = client.get("/reports/funnel/?week=2026-W47&format=json").json()["trend"]

    by_week = {row["week"]: row["gross"] for row in trend}
    assert by_week["2026-W47"] == 1 and by_week["2026-W43"] == 1
    assert sum(by_week.values()) == 2


def test_query_count_does_not_grow_with_the_number_of_leads(
    client, manager_a, dealer_a, rep_a1, rep_a2, django_assert_max_num_queries
):
    client.force_login(manager_a.user)
    sixty_percent_week(dealer_a, [rep_a1])
    with django_assert_max_num_queries(20) as few:
        client.get("/reports/funnel/?week=2026-W47")
    sixty_percent_week(dealer_a, [rep_a1, rep_a2])
    sixty_percent_week(dealer_a, [rep_a2])

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/reports/funnel/?week=2026-W47")

    assert response.context["report"].total.gross == 300


@pytest.mark.parametrize("who", ["rep_a1", "bdc_a"])
def test_salespeople_and_bdc_agents_cannot_open_the_funnel(client, request, who):
    staff = request.getfixturevalue(who)
    client.force_login(staff.user)

    assert client.get("/reports/funnel/").status_code == 403
    assert client.get("/reports/funnel/?format=csv&table=totals").status_code == 403


def test_signed_out_visitors_see_nothing(client, dealer_a):
    assert client.get("/reports/funnel/").status_code == 404


def test_a_manager_sees_only_their_own_dealers_leads(client, manager_a, dealer_a, dealer_b, rep_b1):
    sixty_percent_week(dealer_b, [rep_b1])
    lead_at(dealer_a, dt.datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN))
    client.force_login(manager_a.user)

    data = client.get("/reports/funnel/?week=2026-W47&format=json").json()

    assert data["totals"][0]["gross"] == 1
    assert "Sanne Test" not in {row["label"] for row in data["reps"]}


def test_test_leads_are_not_counted(client, manager_a, dealer_a):
    lead_at(dealer_a, dt.datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN), is_test=True)
    client.force_login(manager_a.user)

    assert gross(client, "2026-W47") == 0


def test_an_unknown_week_is_not_found(client, manager_a):
    client.force_login(manager_a.user)

    assert client.get("/reports/funnel/?week=2026-W54").status_code == 404
    assert client.get("/reports/funnel/?week=last").status_code == 404
