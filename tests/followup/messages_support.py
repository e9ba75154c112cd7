"""Shared pieces for the messaging tests (fixtures: messages_twilio, messages_sandbox in
tests/conftest.py)."""

from __future__ import annotations

from leads.models import Lead

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
        "consent_phone": True,
        "consent_email": True,
        "consent_whatsapp": True,
        "status": Lead.Status.CONTACTING,
    }
    values.update(fields)
    return Lead.objects.create(dealer=dealer, **values)
