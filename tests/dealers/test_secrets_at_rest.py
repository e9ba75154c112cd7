"""Dealers' secrets: encrypted or hashed at rest, written in the admin and shown once, kept out
of intake records, access logs and (outside DEBUG) the console's emails."""

from __future__ import annotations

import io
import logging

import pytest
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test import override_settings

from dealers.models import Dealer
from leadflow.lib import secrets_box
from leadflow.lib.log_masking import mask
from leads.models import IntakeRecord
from tests.leads.intake.portals import google_lead, post_google

SIGNING = "s3cret-signing-value"
PAGE_TOKEN = "EAAG-page-token-value"


def raw_row(dealer: Dealer) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM dealers_dealer WHERE id = %s", [dealer.pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_the_database_holds_no_secret_in_plain_text(dealer_a):
    dealer_a.signing_secret = SIGNING
    dealer_a.meta_page_token = PAGE_TOKEN
    dealer_a.save()

    row = raw_row(dealer_a)

    for plain in (SIGNING, PAGE_TOKEN, "google-key-a", "meta-verify-a"):
        assert plain not in row
    fresh = Dealer.objects.get(pk=dealer_a.pk)
    assert (fresh.signing_secret, fresh.meta_page_token) == (SIGNING, PAGE_TOKEN)
    assert fresh.google_key_matches("google-key-a") and not fresh.google_key_matches("x")
    assert fresh.meta_verify_token_matches("meta-verify-a")
    assert not fresh.meta_verify_token_matches("")


def test_keys_rotate_with_the_old_one_behind_the_new(dealer_a, settings):
    old, new = (
        secrets_box.Fernet.generate_key().decode(),
        secrets_box.Fernet.generate_key().decode(),
    )
    settings.LEADFLOW_SECRET_KEYS = [old]
    dealer_a.signing_secret = SIGNING
    dealer_a.save()

    settings.LEADFLOW_SECRET_KEYS = [new, old]
    assert Dealer.objects.get(pk=dealer_a.pk).signing_secret == SIGNING
    settings.LEADFLOW_SECRET_KEYS = [new]
    with pytest.raises(secrets_box.SecretUnreadable):
        _ = Dealer.objects.get(pk=dealer_a.pk).signing_secret


def test_the_admin_writes_secrets_and_never_shows_them(client, admin_user, dealer_a):
    dealer_a.signing_secret = SIGNING
    dealer_a.save()
    client.force_login(admin_user)
    url = f"/admin/dealers/dealer/{dealer_a.pk}/change/"

    page = client.get(url).content.decode()
    assert SIGNING not in page and "google-key-a" not in page
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(
        {
            "opening_hours": '{"mon": [["08:00", "18:00"]]}',
            "contact_hours": '{"mon": [["08:00", "20:00"]]}',
            "targets": '{"reached": 80}',
            "lost_reasons": '["no contact"]',
            "bdc_hour": "18:00",
            "meta_page_token": PAGE_TOKEN,
            "staff-TOTAL_FORMS": "0",
            "staff-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    dealer_a.refresh_from_db()
    assert dealer_a.signing_secret == SIGNING  # left empty: kept
    assert dealer_a.meta_page_token == PAGE_TOKEN
    assert PAGE_TOKEN not in client.get(url).content.decode()


def test_a_new_signing_secret_is_shown_once(client, admin_user, dealer_a):
    client.force_login(admin_user)

    shown = client.post(
        "/admin/dealers/dealer/",
        {"action": "rotate_signing_secret", "_selected_action": [dealer_a.pk]},
        follow=True,
    ).content.decode()

    dealer_a.refresh_from_db()
    assert dealer_a.signing_secret and dealer_a.signing_secret in shown
    assert dealer_a.signing_secret not in client.get("/admin/dealers/dealer/").content.decode()
    assert admin.site._registry[Dealer].form.SECRETS.keys() >= {"signing_secret"}


def test_the_google_key_is_not_kept_in_the_intake_record(client, dealer_a, rep_a1):
    response = post_google(client, "nord", google_lead(key="google-key-a"))

    assert response.status_code == 200
    body = (
        bytes(IntakeRecord.objects.get().body, "utf-8")
        if isinstance(IntakeRecord.objects.get().body, str)
        else bytes(IntakeRecord.objects.get().body)
    )
    assert b"google-key-a" not in body
    assert b'"google_key": ""' in body or b'"google_key":""' in body


def test_a_wrong_google_key_is_not_kept_either(client, dealer_a, rep_a1):
    post_google(client, "nord", google_lead(key="someone-elses-key"))

    assert "someone-elses-key" not in str(IntakeRecord.objects.get().body)


def test_tokens_in_urls_are_masked_in_the_log():
    handler = logging.getLogger().handlers[0]
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("django.server").info(
            '"%s" %s %s',
            "GET /hooks/nord/meta/?hub.mode=subscribe&hub.verify_token=meta-verify-a"
            "&hub.challenge=42 HTTP/1.1",
            200,
            2,
        )
        logging.getLogger("django.request").warning("Not Found: /u/MTIz:1tQx:abc/")
    finally:
        handler.setStream(old)

    text = stream.getvalue()
    assert "meta-verify-a" not in text and "hub.verify_token=***" in text
    assert "MTIz" not in text and "hub.challenge=42" in text
    assert mask("/accounts/reset/MQ/cz6-abc123/") == "/accounts/reset/***/***/"


@pytest.mark.parametrize("debug", [False, True])
def test_reset_links_reach_the_console_only_with_debug(client, rep_a1, capsys, debug):
    with override_settings(DEBUG=debug, EMAIL_BACKEND="leadflow.lib.mail.ConsoleEmailBackend"):
        client.post("/accounts/password_reset/", {"email": rep_a1.user.email})

    out = capsys.readouterr().out
    assert ("/accounts/reset/" in out) is debug
    assert "1 recipient" in out or debug
    assert mail.outbox == []
