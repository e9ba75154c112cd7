"""The app installs: Chromium registers the service worker and reads the manifest; the shell's
pages fit a 360 px phone without scrolling sideways."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=list(SIZES))
def sized_page(request, chromium):
    context = chromium.new_context(viewport=SIZES[request.param], locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.size_name = request.param
    ARTIFACTS.mkdir(exist_ok=True)
    yield page
    context.close()


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
