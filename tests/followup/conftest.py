from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from followup.models import Attempt, Call
from followup.twilio_client import clear_twilio_client_cache
from leads.models import Lead
from tests.conftest import TOKEN_A, sample_lead
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_signing import signed_post

PUBLIC = "https://leadflow.example"


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:
    """Twilio mode: the real twilio SDK talks to FakeTwilio."""
    with FakeTwilio() as fake:
        settings.LEADFLOW_PROVIDERS = "twilio"
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TWILIO_TIMEOUT_SECONDS = 2
        settings.LEADFLOW_PUBLIC_URL = PUBLIC
        clear_twilio_client_cache()
        yield fake
    clear_twilio_client_cache()


@pytest.fixture
def post_lead(client, django_capture_on_commit_callbacks):
    """Post a lead to the webhook and run what is enqueued on commit (eager tasks)."""

    def post(execute: bool = True, **overrides) -> Lead:
        with django_capture_on_commit_callbacks(execute=execute):
            response = client.post(
                reverse("lead-webhook", args=["nord"]),
                data=sample_lead(**overrides),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {TOKEN_A}",
            )
        assert response.status_code in (200, 201), response.content
        return Lead.objects.get(pk=response.json()["id"])

    return post


def agent_leg(lead: Lead, n: int = 0) -> Call:
    return Call.objects.filter(lead=lead, leg="agent").order_by("id")[n]


def twilio_post(client, fake: FakeTwilio, name: str, call: Call, **params):
    path = reverse(f"followup:{name}", args=[call.pk])
    return signed_post(client, path, params, public_url=PUBLIC, auth_token=fake.auth_token)


def pending(lead: Lead) -> list[str]:
    return list(Attempt.objects.pending().filter(lead=lead).values_list("key", flat=True))
