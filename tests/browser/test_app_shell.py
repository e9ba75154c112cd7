"""The app installs: Chromium registers the service worker and reads the manifest; the shell's
pages fit a 360 px phone without scrolling sideways."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, SIZES

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_service_worker_registers_and_manifest_is_read(sized_page, live_server):
    page = sized_page
    page.goto(f"{live_server.url}/accounts/login/")
    scope = page.evaluate("navigator.serviceWorker.ready.then(registration => registration.scope)")
    assert scope == f"{live_server.url}/"
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["display"] == "standalone"
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"app-{page.size_name}-sign-in.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_error_and_offline_pages_fit_the_phone(sized_page, live_server, language):
    page = sized_page
    page.goto(f"{live_server.url}/accounts/login/")
    if page.locator(f"button[name=language][value={language}]").count():
        page.click(f"button[name=language][value={language}]")
        page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == language
    for url, name in (("/no-such-page/", "404"), ("/offline/", "offline")):
        page.goto(f"{live_server.url}{url}")
        _no_sideways_scroll(page)
        page.screenshot(
            path=str(ARTIFACTS / f"app-{page.size_name}-{name}-{language}.png"), full_page=True
        )


def test_a_push_shows_a_notification_that_opens_the_lead(chromium, live_server, dealer_a, rep_a1):
    """The service worker's push handler, driven through Chromium's DevTools (the way a push
    service would wake it): the notification it shows carries the lead's address."""
    from tests.conftest import make_lead

    lead = make_lead(dealer_a, assigned_to=rep_a1)
    context = chromium.new_context(viewport=SIZES["phone"], locale="de-DE")
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.context.add_cookies(
        [{"name": "sessionid", "value": _session_for(rep_a1), "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/queue/")
    page.evaluate("navigator.serviceWorker.ready")
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(500)
    registration_id = next(r["registrationId"] for r in registrations if not r.get("isDeleted"))
    payload = {
        "title": f"Neuer Lead: {lead}",
        "body": "VW Golf",
        "url": f"/leads/{lead.pk}/",
        "tag": f"lead-{lead.pk}-new_lead",
    }
    import json

    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": registration_id, "data": json.dumps(payload)},
    )
    shown = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            for (let i = 0; i < 50; i++) {
                const found = await registration.getNotifications();
                if (found.length) return found.map(n => ({title: n.title, url: n.data.url}));
                await new Promise(r => setTimeout(r, 100));
            }
            return [];
        }"""
    )
    assert shown == [{"title": payload["title"], "url": payload["url"]}]
    # What a tap opens: the lead itself.
    page.goto(f"{live_server.url}{shown[0]['url']}")
    assert lead.first_name in page.content()
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "app-phone-push-opens-lead.png"), full_page=True)
    context.close()


def _session_for(staff) -> str:
    from django.test import Client

    client = Client()
    client.force_login(staff.user)
    return client.cookies["sessionid"].value
