"""The lead page on a phone (issue 16): the WhatsApp conversation and a free-text reply inside
the 24-hour window, and no page of the app scrolling sideways at 360 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followup.models import InboundMessage, OutboundMessage
from leads.models import Lead, LeadEvent
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD, make_lead

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username: str, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/accounts/login/'] button")
    page.wait_for_url("**/queue/")


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"lead-page-{page.size_name}-{name}.png"), full_page=True)


def anna_with_a_whatsapp_exchange(dealer, rep) -> Lead:
    lead = make_lead(
        dealer,
        rep,
        status=Lead.Status.CONTACTING,
        message="Ist der Golf noch da? Ich könnte Samstag vorbeikommen.",
        consent_whatsapp=True,
        preferred_channel=Lead.Channel.WHATSAPP,
        language="de",
        vehicle_year=2021,
    )
    now = timezone.now()
    OutboundMessage.objects.create(
        dealer=dealer,
        lead=lead,
        channel="whatsapp",
        purpose="first",
        to=lead.phone,
        body="Hallo Anna, danke für Ihre Anfrage! Der Golf ist noch da.",
        status=OutboundMessage.Status.READ,
        created_at=now - dt.timedelta(hours=3),
    )
    at = now - dt.timedelta(hours=2)
    InboundMessage.objects.create(
        dealer=dealer,
        lead=lead,
        channel="whatsapp",
        sender=lead.phone,
        text="Super! Ist er unfallfrei?",
        received_at=at,
    )
    lead.log(LeadEvent.Kind.INBOUND, at=at, note="Super! Ist er unfallfrei?", data={})
    lead.last_inbound_at = at
    lead.save(update_fields=["last_inbound_at"])
    return lead


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_conversation_shows_the_exchange_and_sends_a_free_text_reply(
    sized_page, live_server, messages_sandbox, dealer_a, rep_a1, language
):
    page = sized_page
    lead = anna_with_a_whatsapp_exchange(dealer_a, rep_a1)
    sign_in(page, live_server, "lena", language)
    page.locator(".queue-item .unread").first.wait_for()
    no_sideways_scroll(page)
    shot(page, f"queue-unread-{language}")

    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    bubbles = page.locator("#conversation .bubble")
    assert bubbles.count() == 2
    assert "Der Golf ist noch da" in bubbles.nth(0).inner_text()
    assert "unfallfrei" in bubbles.nth(1).inner_text()
    no_sideways_scroll(page)
    shot(page, f"conversation-{language}")

    page.fill("#id_text", "Ja, unfallfrei und scheckheftgepflegt. Samstag 10 Uhr?")
    page.click("#reply-form button.btn")
    page.locator("#conversation .bubble.out", has_text="scheckheftgepflegt").wait_for()
    assert OutboundMessage.objects.filter(lead=lead, body__contains="scheckheftgepflegt").exists()
    no_sideways_scroll(page)
    shot(page, f"replied-{language}")


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_page_scrolls_sideways(sized_page, live_server, dealer_a, manager_a, rep_a1, language):
    page = sized_page
    lead = anna_with_a_whatsapp_exchange(dealer_a, rep_a1)
    long_word = "Probefahrt" * 10_000  # 100,000 characters without a space
    lead.log(LeadEvent.Kind.NOTE, by=rep_a1, note=long_word)
    Lead.objects.filter(pk=lead.pk).update(message=long_word)
    sign_in(page, live_server, "petra", language)
    pages = {
        "queue": "/queue/",
        "search-empty": "/queue/?q=Zzyzx",
        "lead": f"/leads/{lead.pk}/",
        "funnel": "/reports/funnel/",
        "bdc": "/bdc/",
        "templates": "/templates/",
        "privacy": "/privacy/",
        "sandbox": "/sandbox/",
        "sandbox-messages": "/sandbox/messages/",
    }
    for name, url in pages.items():
        page.goto(f"{live_server.url}{url}")
        no_sideways_scroll(page)
        shot(page, f"{name}-{language}")
    page.goto(f"{live_server.url}/queue/?q=Zzyzx")
    assert "Zzyzx" in page.locator(".empty").first.inner_text()
