"""Optional two-factor sign-in for managers and admins: once on, the password alone reaches
nothing but the code page, the admin included."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import MONDAY_10AM, PASSWORD


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


@pytest.fixture(autouse=True)
def minutes_later(request):
    """Set up at 10:00 (the fixture), signed in from 10:01: a code is used only once."""

    def at(minutes: int):
        return time_machine.travel(MONDAY_10AM + dt.timedelta(minutes=minutes), tick=False)

    return at


def sign_in(username: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def petra_with_2fa(manager_a) -> TOTPDevice:
    client = sign_in("petra")
    page = client.get("/accounts/two-factor/").content.decode()
    assert 'src="data:image/svg+xml' in page
    device = TOTPDevice.objects.get(user=manager_a.user)
    key = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    assert len(key) >= 32

    client.post("/accounts/two-factor/", {"code": code_for(device)})

    device.refresh_from_db()
    assert device.confirmed
    return device


def test_manager_turns_it_on_and_then_needs_a_code(petra_with_2fa, minutes_later):
    with minutes_later(1):
        client = sign_in("petra")
        held = client.get("/queue/")
        wrong = client.post("/accounts/verify/", {"code": "000000", "next": "/queue/"})
    with minutes_later(2):
        code = code_for(petra_with_2fa)
        right = client.post("/accounts/verify/", {"code": code, "next": "/queue/"})

        assert held.status_code == 302 and held["Location"].startswith("/accounts/verify/")
        assert wrong.status_code == 200 and "not valid" in wrong.content.decode()
        assert right.status_code == 302 and right["Location"] == "/queue/"
        assert client.get("/queue/").status_code == 200


def test_the_admin_is_held_too(petra_with_2fa, manager_a):
    manager_a.user.is_staff = True
    manager_a.user.save()
    client = sign_in("petra")

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")


def test_guessing_codes_is_throttled(petra_with_2fa):
    client = sign_in("petra")
    for _ in range(3):
        client.post("/accounts/verify/", {"code": "123456"})

    # django-otp waits longer after every failure: even the right code is refused now.
    late = client.post("/accounts/verify/", {"code": code_for(petra_with_2fa), "next": "/queue/"})

    assert late.status_code == 200
    assert client.get("/queue/").status_code == 302


def test_a_next_address_elsewhere_is_not_followed(petra_with_2fa, minutes_later):
    with minutes_later(1):
        client = sign_in("petra")
        response = client.post(
            "/accounts/verify/", {"code": code_for(petra_with_2fa), "next": "https://evil.example/"}
        )

    assert response["Location"] == "/queue/"


def test_without_it_a_manager_signs_in_with_the_password(manager_a):
    client = sign_in("petra")

    assert client.get("/queue/").status_code == 200


def test_salespeople_do_not_get_the_setting(rep_a1):
    client = sign_in("lena")

    assert client.get("/accounts/two-factor/").status_code == 404
    assert "/accounts/two-factor/" not in client.get("/queue/").content.decode()


def test_turning_it_off_needs_the_current_code(petra_with_2fa, minutes_later):
    with minutes_later(1):
        client = sign_in("petra")
        client.post("/accounts/verify/", {"code": code_for(petra_with_2fa)})
    with minutes_later(2):
        client.post("/accounts/two-factor/", {"code": "000000"})
    assert TOTPDevice.objects.filter(confirmed=True).exists()
    with minutes_later(3):
        client.post("/accounts/two-factor/", {"code": code_for(petra_with_2fa)})

    assert not TOTPDevice.objects.exists()
