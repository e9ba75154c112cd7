"""The sandbox is a salesperson's own phone: their calls and their leads' conversations only;
managers play the whole dealer's. With real providers it is not served at all."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from followup.messaging import message_send
from followup.models import Call, InboundMessage
from tests.conftest import make_lead
from tests.followup.conftest import agent_leg


@pytest.fixture
def lenas_lead(post_lead, rep_a1, rep_a2, messages_sandbox, django_capture_on_commit_callbacks):
    lead = post_lead()
    assert agent_leg(lead).salesperson == rep_a1
    with django_capture_on_commit_callbacks(execute=True):
        message_send(lead=lead, channel="email", purpose="first")
    return lead


def as_user(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    client.cookies["django_language"] = "en"
    return client


def test_a_colleague_neither_sees_nor_plays_a_salespersons_call(lenas_lead, rep_a2):
    jonas = as_user(rep_a2)
    call = agent_leg(lenas_lead)

    page = jonas.get("/sandbox/").content.decode()
    pressed = jonas.post(reverse("followup:sandbox-act", args=[call.pk, "decline"]))

    assert "Anna" not in page and "Schmidt" not in page
    assert pressed.status_code == 404
    call.refresh_from_db()
    assert call.status == "ringing"


def test_a_colleague_neither_reads_nor_answers_a_salespersons_conversation(lenas_lead, rep_a2):
    jonas = as_user(rep_a2)

    panel = jonas.get("/sandbox/messages/", HTTP_HX_REQUEST="true").content.decode()
    reply = jonas.post(
        "/sandbox/messages/reply/", {"lead": lenas_lead.pk, "channel": "email", "text": "STOP"}
    )

    assert "Anna" not in panel
    assert reply.status_code == 404
    assert not InboundMessage.objects.exists()
    lenas_lead.refresh_from_db()
    assert not lenas_lead.opted_out


def test_the_salesperson_and_the_manager_see_and_play_it(lenas_lead, rep_a1, manager_a):
    for staff in (rep_a1, manager_a):
        client = as_user(staff)
        assert "Anna" in client.get("/sandbox/").content.decode()
        assert "Anna" in client.get("/sandbox/messages/", HTTP_HX_REQUEST="true").content.decode()
    call = agent_leg(lenas_lead)

    as_user(manager_a).post(reverse("followup:sandbox-act", args=[call.pk, "answer"]))

    call.refresh_from_db()
    assert call.status == "in-progress"


def test_with_real_providers_the_sandbox_is_not_served(fake_twilio, dealer_a, rep_a1, manager_a):
    lead = make_lead(dealer_a, rep_a1)
    call = Call.objects.create(
        dealer=dealer_a,
        lead=lead,
        attempt=lead.attempts.create(
            dealer=dealer_a, key="first_call", channel="phone", due_at=lead.received_at
        ),
        salesperson=rep_a1,
        to=rep_a1.phone,
        from_number="+4940123456",
        provider="sandbox",
        status="ringing",
    )
    manager = as_user(manager_a)

    assert manager.get("/sandbox/").status_code == 404
    assert manager.get("/sandbox/messages/").status_code == 404
    assert (
        manager.post(reverse("followup:sandbox-act", args=[call.pk, "answer"])).status_code == 404
    )
    reply = manager.post(
        "/sandbox/messages/reply/", {"lead": lead.pk, "channel": "email", "text": "x"}
    )
    assert reply.status_code == 404
    assert 'href="/sandbox/"' not in manager.get("/queue/").content.decode()
