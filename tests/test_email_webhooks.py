"""Email webhooks: only the configured ESP's routes answer, only with the webhook secret, and
LeadFlow refuses to start with an ESP but no secret."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from followup.models import InboundMessage
from leadflow.email_webhooks import PROVIDERS
from leads.models import Lead

ROOT = Path(__file__).resolve().parent.parent
SECRET = "anymail:webhook-secret"
BASIC = "Basic " + base64.b64encode(SECRET.encode()).decode()


def post(client, path: str, **headers):
    return client.post(path, data=json.dumps({}), content_type="application/json", **headers)


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "postmark"])
@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET}, LEADFLOW_EMAIL_ESP="postmark")
def test_other_providers_routes_answer_404(client, db, provider):
    for kind in ("inbound", "tracking"):
        response = post(client, f"/anymail/{provider}/{kind}/", HTTP_AUTHORIZATION=BASIC)
        assert response.status_code == 404, (provider, kind)


@override_settings(ANYMAIL={}, LEADFLOW_EMAIL_ESP="")
def test_without_an_esp_no_email_webhook_is_served(client, db):
    for provider in PROVIDERS:
        assert post(client, f"/anymail/{provider}/inbound/").status_code == 404


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET}, LEADFLOW_EMAIL_ESP="postmark")
def test_the_configured_providers_routes_need_the_secret(client, dealer_a):
    anonymous = post(client, "/anymail/postmark/inbound/")
    wrong = post(
        client,
        "/anymail/postmark/tracking/",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"anymail:guess").decode(),
    )

    assert (anonymous.status_code, wrong.status_code) == (400, 400)
    assert not InboundMessage.objects.exists() and not Lead.objects.exists()


@pytest.mark.parametrize(
    ("backend", "esp"),
    [("anymail.backends.postmark.EmailBackend", ""), ("", "sendgrid")],
)
def test_refuses_to_start_with_an_esp_but_no_webhook_secret(backend, esp):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANYMAIL_", "EMAIL_BACKEND", "LEADFLOW_EMAIL_ESP"))
    }
    env.update(SECRET_KEY="x" * 50, DEBUG="0")
    if backend:
        env["EMAIL_BACKEND"] = backend
    if esp:
        env["LEADFLOW_EMAIL_ESP"] = esp
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET" in result.stderr

    env["ANYMAIL_WEBHOOK_SECRET"] = SECRET
    started = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
