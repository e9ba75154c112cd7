"""Twilio mode: the real SDK against FakeTwilio, and signed callbacks driving the ring flow."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from followup.dispatch import dispatch_due
from followup.models import Attempt, Call
from followup.tasks import ring_attempt
from tests.fakes.twilio_signing import signed_post
from tests.followup.conftest import PUBLIC, agent_leg, pending, twilio_post


def test_the_salesperson_is_called_from_the_dealers_number_with_a_status_callback(
    post_lead, rep_a1, fake_twilio
):
    lead = post_lead()

    [created] = fake_twilio.calls_created()
    call = agent_leg(lead)
    assert created.flat_params == {
        "To": "+4915110000001",
        "From": "+4940123456",
        "Url": f"{PUBLIC}/twilio/voice/{call.pk}/answer/",
        "Method": "POST",
        "StatusCallback": f"{PUBLIC}/twilio/voice/{call.pk}/status/",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": "initiated",
        "Timeout": "20",
        "MachineDetection": "Enable",
    }
    assert created.params["StatusCallbackEvent"] == [
        "initiated",
        "ringing",
        "answered",
        "completed",
    ]
    assert call.sid == created.sid and call.status == "queued"


def test_whisper_gathers_one_key_in_the_dealers_language(client, post_lead, rep_a1, fake_twilio):
    lead = post_lead()
    call = agent_leg(lead)

    response = twilio_post(
        client, fake_twilio, "voice-answer", call, CallSid=call.sid, AnsweredBy="human"
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert f'<Gather action="{PUBLIC}/twilio/voice/{call.pk}/gather/"' in body
    assert 'numDigits="1"' in body
    assert '<Say language="de-DE">' in body
    assert "Neue Anfrage über website: Anna Schmidt." in body
    assert "Drücken Sie 1" in body
    assert "Anna Schmidt" in body and "Volkswagen Golf 2023" in body
    assert "Ist der Golf noch verfügbar?" in body


def test_pressing_1_dials_the_customer_with_the_dealers_caller_id(
    client, post_lead, rep_a1, fake_twilio
):
    lead = post_lead()
    call = agent_leg(lead)
    twilio_post(client, fake_twilio, "voice-answer", call, CallSid=call.sid, AnsweredBy="human")

    body = twilio_post(client, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="1")
    customer = Call.objects.get(parent=call)

    text = body.content.decode()
    assert f'<Dial action="{PUBLIC}/twilio/voice/{call.pk}/dial/"' in text
    assert 'callerId="+4940123456"' in text
    assert f'statusCallback="{PUBLIC}/twilio/voice/{customer.pk}/customer/"' in text
    assert ">+491711234567</Number>" in text
    # Twilio retries a callback whose answer it missed: the same TwiML, still one bridge.
    again = twilio_post(client, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="1")
    assert again.content.decode() == text
    assert Call.objects.filter(parent=call).count() == 1


def test_bridged_call_of_45_seconds_reaches_the_lead_and_cancels_the_rest(
    client, post_lead, rep_a1, fake_twilio
):
    lead = post_lead()
    call = agent_leg(lead)
    twilio_post(client, fake_twilio, "voice-status", call, CallSid=call.sid, CallStatus="ringing")
    twilio_post(client, fake_twilio, "voice-answer", call, CallSid=call.sid, AnsweredBy="human")
    twilio_post(client, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="1")
    customer = Call.objects.get(parent=call)
    for status in ("initiated", "ringing", "in-progress"):
        twilio_post(
            client, fake_twilio, "voice-customer", customer, CallSid="CAchild", CallStatus=status
        )

    twilio_post(
        client,
        fake_twilio,
        "voice-dial",
        call,
        CallSid=call.sid,
        DialCallStatus="completed",
        DialCallDuration="45",
        DialCallSid="CAchild",
    )

    lead.refresh_from_db()
    assert lead.status == "reached"
    assert lead.first_ring_at <= lead.customer_rang_at
    assert pending(lead) == []
    assert Call.objects.get(pk=customer.pk).duration == 45


def test_callbacks_out_of_order_and_duplicated_are_harmless(client, post_lead, rep_a1, fake_twilio):
    lead = post_lead()
    call = agent_leg(lead)
    twilio_post(client, fake_twilio, "voice-answer", call, CallSid=call.sid, AnsweredBy="human")
    twilio_post(client, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="1")
    customer = Call.objects.get(parent=call)
    # The leg's "completed" overtakes its "ringing"; the dial action arrives twice.
    twilio_post(
        client,
        fake_twilio,
        "voice-customer",
        customer,
        CallSid="CAchild",
        CallStatus="completed",
        CallDuration="50",
    )
    for _ in range(2):
        twilio_post(
            client,
            fake_twilio,
            "voice-dial",
            call,
            CallSid=call.sid,
            DialCallStatus="completed",
            DialCallDuration="50",
        )
    twilio_post(
        client, fake_twilio, "voice-customer", customer, CallSid="CAchild", CallStatus="ringing"
    )
    for _ in range(2):
        twilio_post(
            client, fake_twilio, "voice-status", call, CallSid=call.sid, CallStatus="completed"
        )
    twilio_post(client, fake_twilio, "voice-status", call, CallSid=call.sid, CallStatus="ringing")

    lead.refresh_from_db()
    assert lead.status == "reached"
    assert lead.events.filter(kind="status", data__to="reached").count() == 1
    assert Call.objects.get(pk=call.pk).status == "completed"
    assert Call.objects.get(pk=customer.pk).status == "completed"
    # Nobody else was rung after a bridged call.
    assert len(fake_twilio.calls_created()) == 1


def test_forged_unsigned_and_wrong_scheme_callbacks_are_refused(
    client, post_lead, rep_a1, fake_twilio
):
    lead = post_lead()
    call = agent_leg(lead)
    path = f"/twilio/voice/{call.pk}/status/"
    params = {"CallSid": call.sid, "CallStatus": "completed"}

    forged = signed_post(client, path, params, public_url=PUBLIC, auth_token="not-the-token")
    unsigned = client.post(path, params)
    # Twilio signed https://…; a check against the http:// URL Django sees behind the proxy
    # would differ, so a request signed for http:// is not accepted either.
    http = signed_post(
        client,
        path,
        params,
        public_url=PUBLIC.replace("https", "http"),
        auth_token=fake_twilio.auth_token,
    )
    proxied = signed_post(
        client,
        path,
        params,
        public_url=PUBLIC,
        auth_token=fake_twilio.auth_token,
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert [forged.status_code, unsigned.status_code, http.status_code] == [403, 403, 403]
    assert proxied.status_code == 204
    assert Call.objects.get(pk=call.pk).status == "completed"


def test_no_answer_rings_the_next_salesperson_then_the_bdc(
    client, post_lead, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks
):
    lead = post_lead()
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(client, fake_twilio, "voice-status", agent_leg(lead), CallStatus="no-answer")
    with django_capture_on_commit_callbacks(execute=True):
        twilio_post(
            client, fake_twilio, "voice-answer", agent_leg(lead, 1), AnsweredBy="machine_start"
        )
        twilio_post(client, fake_twilio, "voice-status", agent_leg(lead, 1), CallStatus="completed")

    assert [c.param("To") for c in fake_twilio.calls_created()] == [
        "+4915110000001",
        "+4915110000002",
        "+4940123459",
    ]


def test_twilio_500_then_201_makes_one_call(post_lead, rep_a1, fake_twilio):
    fake_twilio.fail_next("Calls.json", status=500)
    lead = post_lead()
    call = agent_leg(lead)
    assert call.status == "pending" and call.retry_at is not None
    assert fake_twilio.calls_created() == []

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=3)):
        dispatch_due()
        dispatch_due()

    assert len(fake_twilio.calls_created()) == 1
    assert len([r for r in fake_twilio.requests if r.path.endswith("Calls.json")]) == 2
    assert Call.objects.get(pk=call.pk).sid == fake_twilio.calls_created()[0].sid


def test_an_invalid_salesperson_number_ends_that_leg_and_rings_the_next(
    post_lead, rep_a1, rep_a2, fake_twilio, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next("Calls.json", status=400, code=21211, message="Invalid 'To' Phone Number")
    with django_capture_on_commit_callbacks(execute=True):
        lead = post_lead()

    first = agent_leg(lead)
    assert first.status == "failed" and "21211" in first.error
    assert [c.param("To") for c in fake_twilio.calls_created()] == ["+4915110000002"]
    assert lead.events.filter(kind="call", data__event="failed").exists()


def test_a_create_whose_answer_was_lost_is_reconciled_not_repeated(post_lead, rep_a1, fake_twilio):
    fake_twilio.drop_connection_next("Calls.json", process=True)
    lead = post_lead()
    call = agent_leg(lead)
    assert call.status == "unknown"

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=6)):
        dispatch_due()

    assert len(fake_twilio.calls_created()) == 1
    call.refresh_from_db()
    assert (call.status, call.sid) == ("queued", fake_twilio.calls_created()[0].sid)


def test_the_same_ring_task_delivered_twice_makes_one_call(post_lead, rep_a1, fake_twilio):
    lead = post_lead(execute=False)
    attempt = Attempt.objects.get(lead=lead, key="first_call")

    assert ring_attempt.delay(attempt.pk).get() == "dialed"
    assert ring_attempt.delay(attempt.pk).get() == "taken"

    assert len(fake_twilio.calls_created()) == 1


def test_a_worker_killed_before_talking_to_twilio_leaves_exactly_one_call(
    post_lead, rep_a1, fake_twilio
):
    lead = post_lead(execute=False)
    attempt = Attempt.objects.get(lead=lead, key="first_call")
    # The dead worker claimed the attempt and its leg, then died before the create.
    attempt.claim()
    call = Call.objects.create(
        dealer=lead.dealer,
        lead=lead,
        attempt=attempt,
        seq=1,
        salesperson=rep_a1,
        to=rep_a1.phone,
        from_number="+4940123456",
        provider="twilio",
        status="dialing",
        claimed_at=timezone.now(),
    )
    # The redelivered task finds the attempt taken.
    assert ring_attempt.delay(attempt.pk).get() == "taken"
    assert fake_twilio.calls_created() == []

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=95)):
        dispatch_due()
        dispatch_due()

    assert [c.param("To") for c in fake_twilio.calls_created()] == [rep_a1.phone]
    call.refresh_from_db()
    assert call.sid == fake_twilio.calls_created()[0].sid


def test_a_worker_killed_after_twilio_created_the_call_does_not_call_again(
    post_lead, rep_a1, fake_twilio
):
    lead = post_lead(execute=False)
    attempt = Attempt.objects.get(lead=lead, key="first_call")
    attempt.claim()
    call = Call.objects.create(
        dealer=lead.dealer,
        lead=lead,
        attempt=attempt,
        seq=1,
        salesperson=rep_a1,
        to=rep_a1.phone,
        from_number="+4940123456",
        provider="twilio",
        status="dialing",
        claimed_at=timezone.now(),
    )
    # Twilio got the create; the worker died before saving the SID.
    from followup.twilio_client import twilio_client

    created = twilio_client().calls.create(
        to=rep_a1.phone,
        from_="+4940123456",
        url=f"{PUBLIC}/twilio/voice/{call.pk}/answer/",
        status_callback=PUBLIC + reverse("followup:voice-status", args=[call.pk]),
        status_callback_event=["initiated", "ringing", "answered", "completed"],
    )

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=95)):
        dispatch_due()

    assert len(fake_twilio.calls_created()) == 1
    call.refresh_from_db()
    assert call.sid == created.sid


def test_the_phone_speaks_the_dealers_language_whatever_the_request_says(
    client, post_lead, rep_a1, fake_twilio
):
    lead = post_lead()
    call = agent_leg(lead)
    client.cookies["django_language"] = "en"

    answer = twilio_post(client, fake_twilio, "voice-answer", call, CallSid=call.sid).content
    passed = twilio_post(client, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="2")

    assert "Neue Anfrage über website: Anna Schmidt." in answer.decode()
    assert "Keine Taste gedrückt. Die Anfrage wird weitergegeben." in answer.decode()
    assert "Die Anfrage geht an den nächsten Verkäufer." in passed.content.decode()
    assert 'language="de-DE"' in passed.content.decode()


def test_an_english_dealers_phone_speaks_english_as_en_us(
    client, post_lead, rep_a1, dealer_a, fake_twilio
):
    dealer_a.language = "en"
    dealer_a.save(update_fields=["language"])
    lead = post_lead()
    call = agent_leg(lead)
    client.cookies["django_language"] = "de"

    body = twilio_post(client, fake_twilio, "voice-answer", call, CallSid=call.sid).content.decode()
    bdc = twilio_post(client, fake_twilio, "voice-gather", call, CallSid=call.sid, Digits="3")

    assert '<Say language="en-US">' in body
    assert "New lead from website: Anna Schmidt." in body
    assert "Interested in Volkswagen Golf 2023." in body
    assert "Press 1 to connect now, 2 to pass to the next salesperson" in body
    assert "Handing the lead to the BDC." in bdc.content.decode()
    assert "Neue Anfrage" not in body


@pytest.mark.parametrize(
    ("language", "country", "say", "words"),
    [
        ("nl", "NL", "nl-NL", "Nieuwe lead van website: Anna Schmidt."),
        ("fr", "BE", "fr-BE", "Nouveau lead de website : Anna Schmidt."),
        ("fr", "FR", "fr-FR", "Appuyez sur 1 pour être mis en relation"),
    ],
)
def test_a_dutch_or_french_dealers_phone_speaks_their_language(
    client, post_lead, rep_a1, dealer_a, fake_twilio, language, country, say, words
):
    lead = post_lead()  # a German mobile number: the country changes only afterwards
    dealer_a.language, dealer_a.country = language, country
    dealer_a.save(update_fields=["language", "country"])
    call = agent_leg(lead)

    body = twilio_post(client, fake_twilio, "voice-answer", call, CallSid=call.sid).content.decode()

    assert f'<Say language="{say}">' in body
    assert words in body
