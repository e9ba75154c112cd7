"""Shared pieces for the messaging tests: leads in the fixed cast's dealers, Twilio mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from followup.twilio_client import clear_twilio_client_cache
from leads.models import Lead
from tests.fakes.twilio_api import FakeTwilio

PUBLIC_URL = "https://leadflow.example"
ANNA_MOBILE = "+491711234567"


def make_lead(dealer, **fields) -> Lead:
    values = {
        "source": "website",
        "first_name": "Anna",
        "last_name": "Schmidt",
        "email": "anna.schmidt@example.de",
        "phone": ANNA_MOBILE,
        "preferred_channel": Lead.Channel.WHATSAPP,
        "language": "de",
        "vehicle_make": "Volkswagen",
        "vehicle_model": "Golf",
        "consent_whatsapp": True,
        "status": Lead.Status.CONTACTING,
    }
    values.update(fields)
    return Lead.objects.create(dealer=dealer, **values)


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    """The real twilio SDK talking to the local fake: LEADFLOW_PROVIDERS=twilio."""
    with (
        FakeTwilio() as fake,
        override_settings(
            LEADFLOW_PROVIDERS="twilio",
            LEADFLOW_PUBLIC_URL=PUBLIC_URL,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_API_BASE_URL=fake.base_url,
            TWILIO_TIMEOUT_SECONDS=2,
        ),
    ):
        clear_twilio_client_cache()
        yield fake
    clear_twilio_client_cache()


@pytest.fixture
def sandbox_provider() -> Iterator[None]:
    with override_settings(LEADFLOW_PROVIDERS="sandbox", LEADFLOW_PUBLIC_URL=PUBLIC_URL):
        yield
