from __future__ import annotations

import re

from tests.conftest import make_lead


def test_funnel_charts_keep_machine_coordinates_in_german(client, manager_a, rep_a1, dealer_a):
    """SVG attributes must read "192.5", never the German "192,5": the chart would not draw."""
    make_lead(dealer_a, rep_a1)
    client.force_login(manager_a.user)
    client.cookies["django_language"] = "de"

    html = client.get("/reports/funnel/?week=2026-W48").content.decode()

    assert "<svg" in html
    coordinates = re.findall(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"', html)
    assert coordinates
    assert [c for c in coordinates if "," in c] == []
