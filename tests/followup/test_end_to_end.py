"""Twilio mode end to end: real broker, real worker, live server, FakeTwilio."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest
import requests

from followup.models import Attempt, Call
from followup.twilio_client import clear_twilio_client_cache
from leads.models import Lead
from tests.conftest import TOKEN_A, sample_lead
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_signing import twilio_signature


@pytest.fixture
def twilio_live(settings, live_server):
    with FakeTwilio() as fake:
        settings.LEADFLOW_PROVIDERS = "twilio"
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.LEADFLOW_PUBLIC_URL = live_server.url
        clear_twilio_client_cache()
        yield fake
    clear_twilio_client_cache()


def callback(fake: FakeTwilio, url: str, **params) -> requests.Response:
    """What Twilio does: a signed form POST to the URL it was given."""
    signature = twilio_signature(fake.auth_token, url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def attr(twiml: str, tag: str, name: str) -> str:
    match = re.search(rf"<{tag}\b[^>]*\b{name}=\"([^\"]+)\"", twiml)
    assert match, f"no {tag}@{name} in {twiml}"
    return unescape(unquote(match.group(1)))


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_webhook_to_reached_through_broker_worker_and_twilio(
    live_server, rep_a1, twilio_live, celery_worker, tasks_done
):
    fake = twilio_live
    response = requests.post(
        f"{live_server.url}/hooks/nord/leads/",
        json=sample_lead(),
        headers={"Authorization": f"Bearer {TOKEN_A}"},
        timeout=30,
    )
    assert response.status_code == 201
    lead_id = response.json()["id"]

    created = fake.wait_for(lambda r: r.created and r.path.endswith("/Calls.json"), timeout=15)
    assert (created.param("To"), created.param("From")) == ("+4915110000001", "+4940123456")
    assert tasks_done.wait_for("followup.schedule")
    sid = created.sid
    callback(fake, created.param("StatusCallback"), CallSid=sid, CallStatus="ringing")
    fake.set_call_status(sid, "in-progress")
    whisper = callback(fake, created.param("Url"), CallSid=sid, AnsweredBy="human").text
    assert "Anna Schmidt" in whisper

    dial = callback(fake, attr(whisper, "Gather", "action"), CallSid=sid, Digits="1").text
    assert attr(dial, "Dial", "callerId") == "+4940123456"
    assert re.search(r">\+491711234567</Number>", dial)
    customer_status = attr(dial, "Number", "statusCallback")
    for status in ("initiated", "ringing", "in-progress"):
        callback(fake, customer_status, CallSid="CAchild", ParentCallSid=sid, CallStatus=status)
    callback(fake, customer_status, CallSid="CAchild", CallStatus="completed", CallDuration="45")
    callback(
        fake,
        attr(dial, "Dial", "action"),
        CallSid=sid,
        DialCallStatus="completed",
        DialCallDuration="45",
        DialCallSid="CAchild",
    )
    fake.set_call_status(sid, "completed")
    callback(fake, created.param("StatusCallback"), CallSid=sid, CallStatus="completed")

    lead = Lead.objects.get(pk=lead_id)
    assert lead.status == "reached"
    assert lead.first_ring_at is not None and lead.customer_rang_at is not None
    assert not Attempt.objects.pending().filter(lead=lead).exists()
    assert Attempt.objects.filter(lead=lead, status="cancelled", reason="reached").count() == 11
    assert len(fake.calls_created()) == 1
    assert Call.objects.get(parent__sid=sid).duration == 45


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_ring_task_delivered_twice_to_a_real_worker_makes_one_call(
    rep_a1, twilio_live, celery_worker, tasks_done
):
    from followup.services import first_call_create
    from followup.tasks import ring_attempt

    lead = Lead.objects.create(
        dealer=rep_a1.dealer,
        source="website",
        phone="+491711234567",
        consent_phone=True,
        assigned_to=rep_a1,
    )
    attempt = first_call_create(lead=lead, repeat=False)

    ring_attempt.delay(attempt.pk)
    ring_attempt.delay(attempt.pk)

    assert tasks_done.wait_for("followup.ring.attempt", count=2)
    assert len(twilio_live.calls_created()) == 1
    assert Call.objects.filter(lead=lead).count() == 1
