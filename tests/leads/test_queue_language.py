from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_queue_speaks_the_dealers_german_after_sign_in(client, rep_a1):
    client.post(reverse("login"), {"username": "lena", "password": PASSWORD})

    html = client.get("/queue/").content.decode()

    assert "Meine Leads" in html
    assert "Keine neuen Leads. Gut gemacht." in html
    assert "Abmelden" in html


def test_the_language_switch_is_kept(client, rep_a1):
    client.post(reverse("login"), {"username": "lena", "password": PASSWORD})

    client.post(reverse("set_language"), {"language": "en", "next": "/queue/"})
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "lena", "password": PASSWORD})

    assert "My leads" in client.get("/queue/").content.decode()


def test_lockout_message_is_translated(client, rep_a1):
    for _attempt in range(6):
        response = client.post(reverse("login"), {"username": "lena", "password": "wrong"})

    assert "Bitte warten Sie 15 Minuten" in response.content.decode()


@pytest.mark.parametrize("language", ["de", "nl", "fr"])
def test_every_message_is_translated(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    untranslated = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""\Z', e, re.M)]

    assert "#, fuzzy" not in text
    assert untranslated == []
    assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime - 60


@pytest.mark.parametrize(
    ("language", "my_leads", "sign_out"),
    [("nl", "Mijn leads", "Afmelden"), ("fr", "Mes leads", "Se déconnecter")],
)
def test_queue_speaks_dutch_and_french(client, rep_a1, language, my_leads, sign_out):
    client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    client.post(reverse("set_language"), {"language": language, "next": "/queue/"})

    html = client.get("/queue/").content.decode()

    assert my_leads in html
    assert sign_out in html
