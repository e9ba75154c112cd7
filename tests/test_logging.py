"""Production logs: one JSON event per line, saying which request, lead and dealer it is about."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import TOKEN_A, sample_lead


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """LOGGING's console handler (its filters included) with the JSON formatter, on the
    request logger, writing to a buffer."""
    stream = io.StringIO()
    console = {**settings.LOGGING["handlers"]["console"], "formatter": "json", "stream": stream}
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": settings.LOGGING.get("filters", {}),
            "formatters": settings.LOGGING["formatters"],
            "handlers": {"capture": console},
            "loggers": {"leadflow.tests.capture": {"handlers": ["capture"], "level": "INFO"}},
        }
    )
    handler = logging.getLogger("leadflow.tests.capture").handlers[0]
    request_log = logging.getLogger("leadflow.request")
    request_log.addHandler(handler)
    try:
        yield stream
    finally:
        request_log.removeHandler(handler)


def events(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_webhook_request_is_one_json_event_with_request_lead_and_dealer(
    client, rep_a1, json_lines
):
    response = client.post(
        reverse("lead-webhook", args=["nord"]),
        data=sample_lead(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN_A}",
        HTTP_X_REQUEST_ID="portal-req-42",
    )

    assert response.status_code == 201
    assert response["X-Request-ID"] == "portal-req-42"
    [event] = events(json_lines)
    assert event["request_id"] == "portal-req-42"
    assert event["lead_id"] == response.json()["id"]
    assert event["dealer"] == "nord"
    assert event["status"] == 201 and event["method"] == "POST"
    assert event["route"] == "hooks/<slug:dealer_slug>/leads/"
    assert {"time", "level", "logger", "message"} <= set(event)
    # The customer's details are in the body, never in the request's event.
    assert "Schmidt" not in json_lines.getvalue()
    assert "anna.schmidt" not in json_lines.getvalue()


def test_every_request_gets_a_request_id_of_its_own(client, db, json_lines):
    first = client.get("/healthz")
    second = client.get("/accounts/login/")

    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert len(first["X-Request-ID"]) == 32
    [event] = [e for e in events(json_lines) if e["status"] == second.status_code]
    assert event["request_id"] == second["X-Request-ID"]
