"""Sign-in throttling: per client address and per username, the address read from the trusted
proxy's header only; a stranger's failures lock a salesperson's name for minutes, never for
good, while the stranger's own address waits longer each time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings

from tests.conftest import MONDAY_10AM, PASSWORD

ATTACKER = "203.0.113.66"
LENA_AT_HOME = "198.51.100.7"
PROXY = "10.0.0.2"


def sign_in(username: str, password: str, address: str, **headers) -> int:
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    # 302: signed in; 200: wrong password, form again; 429: locked out.
    return response.status_code


def at(minutes: float):
    return time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=minutes), tick=False)


@pytest.fixture
def staff(rep_a1, rep_a2, manager_a, bdc_a, rep_b1):
    return [rep_a1, rep_a2, manager_a, bdc_a, rep_b1]


def test_spraying_many_usernames_from_one_address_is_stopped(staff):
    with at(0):
        codes = [sign_in(s.user.username, "Sommer2026!", ATTACKER) for s in staff]
        after = sign_in("lena", PASSWORD, ATTACKER)

    assert codes == [200, 200, 200, 200, 429]
    assert after == 429


def test_a_stranger_locks_a_salespersons_name_for_minutes_only(staff):
    with at(0):
        for _ in range(5):
            sign_in("lena", "guess", ATTACKER)
        assert sign_in("lena", PASSWORD, LENA_AT_HOME) == 429
    with at(6):
        assert sign_in("lena", PASSWORD, LENA_AT_HOME) == 302
        # The stranger's address is still waiting.
        assert sign_in("jonas", PASSWORD, ATTACKER) == 429


def test_an_address_locked_again_waits_twice_as_long(staff):
    with at(0):
        for _ in range(5):
            sign_in("lena", "guess", ATTACKER)
    with at(16):
        assert sign_in("jonas", PASSWORD, ATTACKER) == 302
        for _ in range(5):
            sign_in("lena", "guess-again", ATTACKER)
        assert sign_in("jonas", PASSWORD, ATTACKER) == 429
    with at(16 + 20):
        assert sign_in("jonas", PASSWORD, ATTACKER) == 429
    with at(16 + 31):
        assert sign_in("jonas", PASSWORD, ATTACKER) == 302


@override_settings(LEADFLOW_TRUSTED_PROXIES=[PROXY])
def test_behind_the_trusted_proxy_each_client_is_throttled_on_its_own(staff):
    with at(0):
        for s in staff:
            sign_in(s.user.username, "guess", PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
        attacker = sign_in("jonas", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
        # The attacker cannot pretend to be someone else through the proxy either:
        # the proxy appends the real address, and that is the one read.
        spoofed = sign_in(
            "jonas", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=f"{LENA_AT_HOME}, {ATTACKER}"
        )
        colleague = sign_in("petra", PASSWORD, PROXY, HTTP_X_FORWARDED_FOR=LENA_AT_HOME)

    assert (attacker, spoofed, colleague) == (429, 429, 302)


def test_a_forwarding_header_from_an_untrusted_address_is_ignored(staff):
    with at(0):
        for i, s in enumerate(staff):
            sign_in(s.user.username, "guess", ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")

        assert sign_in("jonas", PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99") == 429


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Too many failed sign-ins. Please wait 15 minutes"),
        ("de", "Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie 15 Minuten"),
    ],
)
def test_the_lockout_page_says_how_long_to_wait(staff, language, text):
    client = Client(REMOTE_ADDR=ATTACKER)
    client.cookies["django_language"] = language
    with at(0):
        for _ in range(5):
            client.post("/accounts/login/", {"username": "lena", "password": "guess"})
        page = client.post("/accounts/login/", {"username": "lena", "password": PASSWORD})

    assert page.status_code == 429
    assert text in page.content.decode()
