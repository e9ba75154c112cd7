"""Playwright against Debian's Chromium (never a downloaded browser), driving live_server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the test's own ORM calls are
# still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("LEADFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (make browser installs it)"
        if os.environ.get("LEADFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request, chromium):
    context = chromium.new_context(**VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.viewport_name = request.param
    ARTIFACTS.mkdir(exist_ok=True)
    yield page
    context.close()


# The sizes the phone-first checks use: a small Android phone and a laptop.
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


def shot(page, step: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{page.viewport_name}-{step}.png"), full_page=True)
