"""The installable app shell, the error pages and the sign-in page's language switch."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

from leadflow.urls import urlpatterns as project_urls

ROOT = Path(__file__).resolve().parent.parent


def _png_size(url: str) -> tuple[int, int]:
    data = (ROOT / "static" / url.removeprefix(settings.STATIC_URL)).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/queue/")
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    # Chromium's install criteria: a 192 px and a 512 px icon; Android's adaptive icon: maskable.
    assert _png_size(sizes["192x192"]["src"]) == (192, 192)
    assert _png_size(sizes["512x512"]["src"]) == (512, 512)
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_manifest_speaks_the_users_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["lang"] == "de"
    assert "zwei Minuten" in manifest["description"]


def test_service_worker_covers_the_site_and_never_caches_pages(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    # Pages come from the network; only the offline page and static files are kept.
    assert 'request.mode === "navigate"' in body
    assert "/offline/" in body
    assert "/leads/" not in body and '/queue/"' not in body.split("PRECACHE")[1].split(";")[0]
    assert 'addEventListener("push"' in body and "notificationclick" in body


def test_every_page_links_the_manifest_and_registers_the_worker(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert "js/app.js" in page
    assert 'rel="apple-touch-icon"' in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "No connection"), ("de", "Keine Verbindung"), ("nl", "Geen verbinding")],
)
def test_offline_page_needs_no_sign_in(client, language, words):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/offline/")
    assert response.status_code == 200
    assert words in response.content.decode()


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "This page does not exist"),
        ("de", "Diese Seite gibt es nicht"),
        ("nl", "Deze pagina bestaat niet"),
        ("fr", "Cette page n’existe pas"),
    ],
)
def test_not_found_is_a_friendly_page_in_the_users_language(client, language, heading):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert heading in page
    assert 'class="top"' in page  # the site's own header, not Django's bare page


def test_not_found_for_a_signed_in_user_leads_back_to_the_queue(client, rep_a1):
    client.force_login(rep_a1.user)
    page = client.get("/leads/999999/").content.decode()
    assert "Zurück zur Lead-Liste" in page
    assert "Abmelden" in page


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), *project_urls]


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_is_a_friendly_page_in_the_users_language():
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Bei uns ist etwas schiefgelaufen" in page
    assert "Neue Leads werden weiterhin angerufen" in page


def test_csrf_failure_says_nothing_was_saved(rep_a1):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Es wurde nichts gespeichert" in response.content.decode()


def test_sign_in_page_offers_every_language(client):
    page = client.get("/accounts/login/").content.decode()
    # German is the default; the switch offers the others.
    for code, name in (("en", "English"), ("nl", "Nederlands"), ("fr", "Français")):
        assert f'value="{code}"' in page and name in page
    response = client.post("/i18n/setlang/", {"language": "nl", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Aanmelden" in client.get("/accounts/login/").content.decode()
