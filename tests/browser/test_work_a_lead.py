from __future__ import annotations

import json
import urllib.request

import pytest

from leads.models import Lead
from tests.browser.conftest import shot
from tests.conftest import PASSWORD, TOKEN_A, sample_lead

pytestmark = pytest.mark.browser


def post_lead(live_server) -> None:
    request = urllib.request.Request(
        f"{live_server.url}/hooks/nord/leads/",
        data=json.dumps(sample_lead()).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN_A}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_salesperson_works_a_lead_from_arrival_to_sale(page, live_server, dealer_a, rep_a1):
    page.goto(f"{live_server.url}/queue/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button")
    page.wait_for_url("**/queue/")
    page.wait_for_selector("#queue-list .empty")
    shot(page, "1-empty-queue")

    post_lead(live_server)

    # No reload: the htmx poll brings the lead in, with its age counter running.
    item = page.locator(".queue-item", has_text="Anna Schmidt")
    item.wait_for()
    assert page.locator(".queue-item .age").count() == 1
    shot(page, "2-lead-arrived")

    item.locator("a.qi-name").click()
    page.wait_for_selector("#lead-status")
    page.fill("#id_outcome_note", "Talked on her mobile, she wants a test drive")
    page.click("button[name=outcome][value=reached]")
    page.wait_for_selector("#lead-status.status-reached")
    shot(page, "3-reached")

    page.fill("#id_at", "2026-11-25T15:30")
    page.click("form[action$='/appointment/'] button")
    page.wait_for_selector("#lead-status.status-appointment")
    assert page.locator("#appointment-at").inner_text().strip()
    shot(page, "4-appointment")

    page.click("button[name=to][value=showed]")
    page.wait_for_selector("#lead-status.status-showed")
    page.click("button[name=to][value=sold]")
    page.wait_for_selector("#lead-status.status-sold")
    shot(page, "5-sold")

    lead = Lead.objects.get()
    assert lead.status == "sold"
    assert lead.reached_at and lead.appointment_at and lead.showed_at and lead.sold_at
    assert lead.events.get(kind="status", data__to="reached").data["evidence"]["kind"] == "note"
    assert page.locator("ol.timeline li").count() >= 8


def test_wrong_password_then_sign_in_with_the_keyboard(page, live_server, rep_a1):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "lena")
    page.fill("#id_password", "wrong")
    page.press("#id_password", "Enter")
    page.wait_for_selector(".error")

    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url("**/queue/")
    assert page.locator("h1").inner_text()
