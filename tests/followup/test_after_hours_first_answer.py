"""After hours, at once: the first answer tells the customer when they will be called."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from followup.dispatch import dispatch_due
from followup.models import Attempt, OutboundMessage
from tests.conftest import BERLIN


def sent(lead, channel: str) -> OutboundMessage | None:
    return OutboundMessage.objects.filter(
        lead=lead, channel=channel, purpose__startswith="first"
    ).first()


@pytest.mark.parametrize(
    ("language", "promise"),
    [
        ("de", "Wir rufen Sie am Samstag, 21. November ab 08:00 Uhr an."),
        ("en", "We will call you on Saturday 21 November from 08:00."),
        ("nl", "We bellen u op zaterdag 21 november vanaf 08:00 uur."),
        ("fr", "Nous vous appellerons le samedi 21 novembre à partir de 08:00."),
    ],
)
def test_a_friday_evening_lead_hears_at_once_when_it_will_be_called(
    post_lead, rep_a1, messages_sandbox, language, promise
):
    with time_machine.travel(dt.datetime(2026, 11, 20, 20, 30, tzinfo=BERLIN), tick=False):
        lead = post_lead(language=language)

    # 20:30 is inside the customer's quiet hours (08:00–21:00): email and WhatsApp at once.
    for channel in ("email", "whatsapp"):
        message = sent(lead, channel)
        assert message.status == "sent"
        assert promise in message.body
    first_call = Attempt.objects.get(lead=lead, key="first_call")
    assert first_call.due_at == dt.datetime(2026, 11, 21, 8, 0, tzinfo=BERLIN)


def test_a_late_night_lead_gets_its_email_at_once_and_its_whatsapp_in_the_morning(
    post_lead, rep_a1, messages_sandbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(dt.datetime(2026, 11, 23, 23, 40, tzinfo=BERLIN), tick=False):
        lead = post_lead()

    email = sent(lead, "email")
    assert email.status == "sent"
    assert "Wir rufen Sie am Dienstag, 24. November ab 08:00 Uhr an." in email.body
    assert sent(lead, "whatsapp") is None
    whatsapp = Attempt.objects.get(lead=lead, key="first_whatsapp")
    assert (whatsapp.status, whatsapp.reason) == ("scheduled", "quiet_hours")
    assert whatsapp.due_at == dt.datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)

    with (
        time_machine.travel(whatsapp.due_at + dt.timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        dispatch_due()
    assert sent(lead, "whatsapp").status == "sent"


def test_a_lead_rung_at_once_is_promised_no_call_time(post_lead, rep_a1, messages_sandbox):
    lead = post_lead()  # Monday 10:00

    assert "Wir rufen Sie" not in sent(lead, "email").body
