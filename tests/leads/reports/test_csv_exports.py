"""Funnel CSVs: no cell a spreadsheet runs as a formula, and the separators the viewer's Excel
expects (German and Dutch: semicolon and decimal comma; UTF-8 with a byte-order mark)."""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command

from leadflow.lib.csv_export import FORMULA_STARTS, csv_download, dialect_for
from tests.conftest import make_lead
from tests.leads.reports.funnel_fixtures import W47_MONDAY, sixty_percent_week

pytestmark = pytest.mark.urls("tests.leads.reports.funnel_urls")

HOSTILE_SOURCES = [
    '=HYPERLINK("http://evil.example")',
    "+49 171 1234567",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|'/C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def hostile_week(dealer_a, rep_a1, rep_a2):
    sixty_percent_week(dealer_a, [rep_a1, rep_a2])
    for source in HOSTILE_SOURCES:
        make_lead(dealer_a, rep_a1, source=source, received_at=W47_MONDAY)


def download(client, manager, table: str, language: str) -> str:
    client.force_login(manager.user)
    client.cookies["django_language"] = language
    response = client.get(f"/reports/funnel/?week=2026-W47&format=csv&table={table}")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize("table", ["sources", "all_sources"])
def test_no_exported_cell_starts_a_formula(client, manager_a, hostile_week, table):
    text = download(client, manager_a, table, "en")

    cells = [value for row in csv.reader(io.StringIO(text)) for value in row]
    assert [c for c in cells if c.startswith(FORMULA_STARTS)] == []
    # The text is all there, readable, behind the apostrophe.
    if table == "sources":
        assert {c[1:] for c in cells if c.startswith("'")} >= set(HOSTILE_SOURCES)


def test_german_viewer_gets_semicolons_and_decimal_commas(client, manager_a, hostile_week):
    text = download(client, manager_a, "totals", "de")
    english = download(client, manager_a, "totals", "en")

    (row,) = csv.DictReader(io.StringIO(text), delimiter=";")
    (same,) = csv.DictReader(io.StringIO(english))
    assert row.keys() == same.keys() and len(row) > 10
    assert row["gross"] == same["gross"] == "106"
    for key, value in same.items():
        if "." in value and value.replace(".", "").isdigit():
            assert row[key] == value.replace(".", ",")
    assert "," in row["reached_rate"]


def test_dutch_and_french_excel_read_semicolons_too():
    assert (dialect_for("nl").delimiter, dialect_for("nl").decimal) == (";", ",")
    assert dialect_for("nl-be").delimiter == ";"
    assert dialect_for("fr").delimiter == ";"
    assert (dialect_for("en").delimiter, dialect_for(None).decimal) == (",", ".")

    data = csv_download([{"quelle": "=1+1", "anteil": 12.5, "ja": True}], language="nl")

    (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
    assert row == {"quelle": "'=1+1", "anteil": "12,5", "ja": "True"}


def test_command_line_csv_is_neutralised_too(manager_a, hostile_week):
    out = StringIO()
    call_command(
        "funnel", dealer="nord", week="2026-W47", format="csv", table="sources", stdout=out
    )

    cells = [value for row in csv.reader(io.StringIO(out.getvalue())) for value in row]
    assert [c for c in cells if c.startswith(FORMULA_STARTS)] == []
