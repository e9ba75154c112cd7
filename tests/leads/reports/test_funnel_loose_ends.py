"""The funnel's per-salesperson table, its "Unassigned" link, the queue it opens, lost reasons."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from leads.models import Lead
from tests.conftest import make_lead
from tests.leads.reports.funnel_fixtures import W47_MONDAY, sixty_percent_week

WEEK = "2026-W47"


@pytest.fixture
def week(dealer_a, rep_a1, rep_a2, bdc_a):
    leads = sixty_percent_week(dealer_a, [rep_a1, rep_a2])
    # Evening leads the BDC agent holds (as intake's routing and the demo history store them),
    # one the BDC has without an agent, and one nobody holds.
    tuesday_night = W47_MONDAY + dt.timedelta(days=1, hours=22)
    for i in range(3):
        make_lead(dealer_a, bdc_a, bdc=True, received_at=tuesday_night, phone=f"+4917200000{i}")
    make_lead(dealer_a, None, bdc=True, received_at=tuesday_night, phone="+49172000009")
    make_lead(dealer_a, None, received_at=tuesday_night, phone="+49172000010", first_name="Nobody")
    return leads


def rep_table(report) -> dict[str, int]:
    return {str(row.label): row.gross for row in [*report.reps, report.bdc]}


def test_the_bdcs_leads_appear_once_in_the_per_salesperson_table(client, manager_a, week):
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"

    report = client.get(f"/reports/funnel/?week={WEEK}").context["report"]

    table = rep_table(report)
    assert table == {"Lena Test": 50, "Jonas Test": 50, "Unassigned": 1, "BDC": 4}
    assert sum(table.values()) == report.total.gross == 105


def test_the_unassigned_row_opens_the_queue_with_the_unassigned_leads(client, manager_a, week):
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"
    report = client.get(f"/reports/funnel/?week={WEEK}").context["report"]
    (unassigned,) = [row for row in report.reps if row.key == "none"]

    url = unassigned.urls["gross"]
    assert url == f"/queue/?week={WEEK}&unassigned=1"
    page = client.get(url)

    shown = [lead for section in page.context["sections"] for lead in section.leads]
    assert [lead.first_name for lead in shown] == ["Nobody"]


def test_a_queue_opened_from_a_funnel_number_says_which_filter_applies(
    client, manager_a, rep_a1, week
):
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "en"

    page = client.get(f"/queue/?week={WEEK}&rep={rep_a1.pk}&milestone=reached").content.decode()

    summary = re.search(r'id="applied-filters">(.*?)</div>', page, re.S)
    assert summary is not None
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", summary.group(1))).split())
    assert "Received in week 2026-W47 (16 Nov 2026 – 22 Nov 2026)" in text
    assert "Got to: Reached" in text
    assert "Salesperson: Lena Test" in text
    assert "Clear filters" in text
    assert 'href="/queue/"' in summary.group(1)


def test_the_queue_without_filters_shows_no_filter_line(client, manager_a, week):
    client.force_login(manager_a.user)

    assert 'id="applied-filters"' not in client.get("/queue/").content.decode()


@pytest.mark.parametrize(
    ("language", "reasons"),
    [("de", ["kein Kontakt", "woanders gekauft"]), ("en", ["no contact", "bought elsewhere"])],
)
def test_lost_reasons_are_shown_in_the_viewers_language(client, manager_a, week, language, reasons):
    client.force_login(manager_a.user)
    client.cookies["django_language"] = language

    page = client.get(f"/reports/funnel/?week={WEEK}").content.decode()
    lost = page[page.index('id="lost"') :]
    lost = lost[: lost.index("</table>")]

    cells = [unescape(c) for c in re.findall(r"<tr><td>([^<]*)</td>", lost)]
    for reason in reasons:
        assert reason in cells
    if language == "de":
        assert "no contact" not in cells


def test_the_queue_filter_line_names_the_lost_reason_in_german(client, manager_a, week):
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "de"

    page = client.get(f"/queue/?week={WEEK}&milestone=lost&lost_reason=no+contact")

    assert "kein Kontakt" in page.content.decode()
    assert all(
        lead.lost_reason == "no contact" for s in page.context["sections"] for lead in s.leads
    )


def test_the_lead_page_shows_the_lost_reason_in_german(client, manager_a, dealer_a):
    lead = make_lead(dealer_a, None, status=Lead.Status.LOST, lost_reason="no contact")
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "de"

    page = client.get(f"/leads/{lead.pk}/").content.decode()

    assert "<dd>kein Kontakt</dd>" in page


def test_on_a_phone_every_number_keeps_its_column_name(client, manager_a, week):
    # Below 640px the tables stack and hide their header; each cell carries its column's name.
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "de"

    page = client.get(f"/reports/funnel/?week={WEEK}").content.decode()

    bare = re.findall(r'<td class="num">', page)
    assert bare == []
    assert 'data-label="Brutto"' in page and 'data-label="Erreicht"' in page
