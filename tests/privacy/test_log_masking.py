"""No personal data in logs: every configured handler masks phone numbers, emails and texts."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from leadflow.lib.logmask import mask, private
from tests.privacy.support import EMAIL, MESSAGE, logs_as_configured, traces, whatsapp_from


@pytest.mark.parametrize(
    "written",
    [
        "+491711234567",
        "491711234567",
        "0049 171 1234567",
        "0171 1234567",
        "0171/123 45 67",
        "(0171) 123-4567",
        "whatsapp:+491711234567",
        "tel:+49-171-1234567",
    ],
)
def test_a_phone_number_is_masked_however_it_is_written(written):
    assert traces(mask(f"calling {written} now")) == []


def test_ids_dates_and_provider_sids_stay_readable():
    line = "intake 1234567 at 2026-11-23 10:04:00 call CA0123456789abcdef0123456789abcdef"
    assert mask(line) == line
    assert mask("task 6f1c2e4a-1234-5678-9012-abcdefabcdef done") == (
        "task 6f1c2e4a-1234-5678-9012-abcdefabcdef done"
    )


def test_every_configured_handler_carries_the_filter():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "personal_data" in handler.get("filters", []), name


def test_arguments_tracebacks_and_marked_texts_are_masked():
    log = logging.getLogger("leadflow.test")
    with logs_as_configured() as logs:
        log.warning("reply from %s (%s): %s", EMAIL, "0171 1234567", private(MESSAGE))
        log.info("lead %(id)s %(message)s", {"id": 7, "message": MESSAGE})
        try:
            raise ValueError(f"'To' number +491711234567 / {EMAIL} is not valid")
        except ValueError:
            log.exception("send failed")

    written = logs.getvalue()
    assert "send failed" in written and "ValueError" in written and "<text: 61 chars>" in written
    assert traces(written) == []


@pytest.mark.logs_scanned
def test_an_unknown_whatsapp_sender_is_logged_without_the_number(client, dealer_a, settings):
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.LEADFLOW_PUBLIC_URL = "https://leadflow.example"

    assert whatsapp_from(client, MESSAGE).status_code == 200
