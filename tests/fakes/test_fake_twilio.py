"""The Twilio fake, driven by the real twilio SDK, and the client factory/classifier with it.

No database and no Django settings are needed: clients are built with
build_twilio_client(), and twilio_client() is checked against a stand-in settings object.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
import requests
import urllib3.exceptions
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

import followup.twilio_client as twilio_client_module
from followup.twilio_client import (
    TwilioFailure,
    build_twilio_client,
    classify_twilio_error,
    twilio_client,
    twilio_error_code,
)
from tests.fakes.twilio_api import FakeTwilio, Recorded
from tests.fakes.twilio_signing import signed_post, twilio_signature

LEAD = "+4915112345678"
DEALER = "+4930901820"
CALLBACK = "https://leadflow.example/twilio/calls/status"


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def sdk(fake: FakeTwilio) -> Client:
    # Not named "client": that is pytest-django's test Client.
    return build_twilio_client(fake.account_sid, fake.auth_token, fake.base_url, timeout=2.0)


def create_call(sdk: Client, **overrides: object):
    kwargs: dict[str, object] = {
        "to": LEAD,
        "from_": DEALER,
        "url": "https://leadflow.example/twilio/calls/answer",
    }
    kwargs.update(overrides)
    return sdk.calls.create(**kwargs)


def test_create_call_records_exact_params_and_populates_instance(
    fake: FakeTwilio, sdk: Client
) -> None:
    call = create_call(
        sdk,
        status_callback=CALLBACK,
        status_callback_event=["initiated", "ringing", "answered", "completed"],
        status_callback_method="POST",
        timeout=25,
        machine_detection="Enable",
    )

    assert re.fullmatch(r"CA[0-9a-f]{32}", call.sid)
    assert call.status == "queued"
    assert (call.to, call._from, call.account_sid) == (LEAD, DEALER, fake.account_sid)
    assert isinstance(call.date_created, datetime)
    assert call.date_created.tzinfo is not None
    assert call.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Calls/{call.sid}.json"

    [recorded] = fake.calls_created()
    assert recorded.method == "POST"
    assert recorded.path == f"/2010-04-01/Accounts/{fake.account_sid}/Calls.json"
    assert recorded.params == {
        "To": [LEAD],
        "From": [DEALER],
        "Url": ["https://leadflow.example/twilio/calls/answer"],
        "StatusCallback": [CALLBACK],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "StatusCallbackMethod": ["POST"],
        "Timeout": ["25"],
        "MachineDetection": ["Enable"],
    }
    assert recorded.param("To") == LEAD
    assert recorded.flat_params["StatusCallbackEvent"] == "initiated"
    assert recorded.header("Content-Type") == "application/x-www-form-urlencoded"
    assert (recorded.status, recorded.fault, recorded.sid, recorded.created) == (
        201,
        None,
        call.sid,
        True,
    )
    assert recorded.at == pytest.approx(time.time(), abs=5)


def test_fetch_update_and_missing_call(fake: FakeTwilio, sdk: Client) -> None:
    call = create_call(sdk, twiml="<Response><Say>Hallo</Say></Response>")
    assert sdk.calls(call.sid).fetch().status == "queued"

    fake.set_call_status(call.sid, "in-progress")
    updated = sdk.calls(call.sid).update(status="completed")
    assert updated.status == "completed"
    assert fake.call(call.sid)["status"] == "completed"
    assert fake.requests[-1].params == {"Status": ["completed"]}

    # An ended call can't be changed any more, as on Twilio.
    with pytest.raises(TwilioRestException) as ended:
        sdk.calls(call.sid).update(url="https://leadflow.example/other")
    assert (ended.value.status, ended.value.code) == (400, 21220)

    with pytest.raises(TwilioRestException) as missing:
        sdk.calls("CA" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert classify_twilio_error(missing.value) == "permanent"


def test_whatsapp_template_message(fake: FakeTwilio, sdk: Client) -> None:
    variables = json.dumps({"1": "Max", "2": "VW Golf"})
    message = sdk.messages.create(
        to=f"whatsapp:{LEAD}",
        from_=f"whatsapp:{DEALER}",
        content_sid="HX" + "a" * 32,
        content_variables=variables,
        status_callback="https://leadflow.example/twilio/messages/status",
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.to, message.from_) == (
        "queued",
        f"whatsapp:{LEAD}",
        f"whatsapp:{DEALER}",
    )
    [recorded] = fake.messages_created()
    assert recorded.flat_params == {
        "To": f"whatsapp:{LEAD}",
        "From": f"whatsapp:{DEALER}",
        "ContentSid": "HX" + "a" * 32,
        "ContentVariables": variables,
        "StatusCallback": "https://leadflow.example/twilio/messages/status",
    }
    assert sdk.messages(message.sid).fetch().sid == message.sid


def test_deleting_a_message_and_a_call_removes_them_and_a_second_delete_is_404(
    fake: FakeTwilio, sdk: Client
) -> None:
    message = sdk.messages.create(to=LEAD, from_=DEALER, body="Wir rufen gleich an.")
    call = create_call(sdk)

    assert sdk.messages(message.sid).delete() is True
    assert sdk.calls(call.sid).delete() is True

    for resource in (sdk.messages(message.sid), sdk.calls(call.sid)):
        with pytest.raises(TwilioRestException) as gone:
            resource.fetch()
        assert gone.value.status == 404
        with pytest.raises(TwilioRestException) as again:
            resource.delete()
        assert again.value.status == 404
    assert [r.method for r in fake.requests if r.method == "DELETE"] == ["DELETE"] * 4


def test_sms_through_messaging_service_is_accepted(fake: FakeTwilio, sdk: Client) -> None:
    message = sdk.messages.create(
        to=LEAD, messaging_service_sid="MG" + "1" * 32, body="Wir rufen gleich an."
    )
    assert message.status == "accepted"
    assert message.from_ is None
    assert message.body == "Wir rufen gleich an."


def test_server_error_is_transient_and_only_next_request_fails(
    fake: FakeTwilio, sdk: Client
) -> None:
    fake.fail_next("Calls.json", status=500, code=20500)

    with pytest.raises(TwilioRestException) as failed:
        create_call(sdk)
    assert (failed.value.status, failed.value.code) == (500, 20500)
    assert classify_twilio_error(failed.value) == TwilioFailure.TRANSIENT

    assert create_call(sdk).status == "queued"
    first, second = fake.requests
    assert (first.status, first.fault, first.created) == (500, "fail", False)
    assert (second.status, second.fault, second.created) == (201, None, True)
    assert len(fake.calls_created()) == 1


def test_invalid_number_is_permanent(fake: FakeTwilio, sdk: Client) -> None:
    text = "The 'To' number +49000 is not a valid phone number."
    fake.fail_next("Calls.json", status=400, code=21211, message=text)

    with pytest.raises(TwilioRestException) as failed:
        create_call(sdk, to="+49000")
    assert failed.value.status == 400
    assert twilio_error_code(failed.value) == 21211
    assert text in failed.value.msg
    assert classify_twilio_error(failed.value) == "permanent"
    assert fake.calls_created() == []


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, 20429, "transient"),
        (503, 20503, "transient"),
        (400, 21611, "transient"),
        (400, 21610, "permanent"),
        (400, 21614, "permanent"),
        (400, 63016, "permanent"),
        (403, 21408, "permanent"),
    ],
)
def test_twilio_error_codes(
    fake: FakeTwilio, sdk: Client, status: int, code: int, expected: str
) -> None:
    fake.fail_next("Messages.json", status=status, code=code)
    with pytest.raises(TwilioRestException) as failed:
        sdk.messages.create(to=LEAD, from_=DEALER, body="Hallo")
    assert failed.value.code == code
    assert classify_twilio_error(failed.value) == expected


def test_answer_later_than_timeout_is_unknown_but_call_exists(fake: FakeTwilio) -> None:
    sdk = build_twilio_client(fake.account_sid, fake.auth_token, fake.base_url, timeout=0.3)
    fake.delay_next("Calls.json", seconds=1.5)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout) as failed:
        create_call(sdk)
    assert time.monotonic() - started < 1.2  # the client's timeout, not the fake's delay
    assert classify_twilio_error(failed.value) == TwilioFailure.UNKNOWN

    # The outcome the client could not see: Twilio did create (and would dial) the call.
    [recorded] = fake.calls_created()
    assert recorded.fault == "delay"
    assert fake.call(recorded.sid)["status"] == "queued"

    # The same pooled client recovers for the next request.
    assert create_call(sdk).status == "queued"


def test_dropped_connection_is_unknown(fake: FakeTwilio, sdk: Client) -> None:
    fake.drop_connection_next("Calls.json")
    with pytest.raises(requests.exceptions.ConnectionError) as failed:
        create_call(sdk)
    assert classify_twilio_error(failed.value) == "unknown"
    [recorded] = fake.requests
    assert (recorded.status, recorded.answered, recorded.fault) == (None, "dropped", "drop")
    assert recorded.created  # processed, then the answer was lost

    fake.drop_connection_next("Messages.json", process=False)
    with pytest.raises(requests.exceptions.ConnectionError) as failed:
        sdk.messages.create(to=LEAD, from_=DEALER, body="Hallo")
    # From the client's side it is indistinguishable, hence still unknown.
    assert classify_twilio_error(failed.value) == "unknown"
    assert fake.messages_created() == []


def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    sdk = build_twilio_client("AC" + "0" * 32, "token", f"http://127.0.0.1:{port}", 1.0)
    with pytest.raises(requests.exceptions.ConnectionError) as failed:
        create_call(sdk)
    assert classify_twilio_error(failed.value) == "transient"


def test_fake_gone_after_close_is_transient() -> None:
    fake = FakeTwilio()
    sdk = build_twilio_client(fake.account_sid, fake.auth_token, fake.base_url, 1.0)
    create_call(sdk)  # leaves a pooled keep-alive connection behind
    fake.close()
    with pytest.raises(requests.exceptions.ConnectionError) as failed:
        create_call(sdk)
    assert classify_twilio_error(failed.value) == "transient"


def test_classification_of_transport_errors_that_are_hard_to_provoke() -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC/Calls.json"
    refused = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    reset = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104))
    cases = {
        requests.exceptions.ConnectTimeout("connect timed out"): "transient",
        requests.exceptions.ConnectionError(
            urllib3.exceptions.MaxRetryError(None, url, refused)
        ): "transient",
        requests.exceptions.SSLError("handshake failed"): "transient",
        requests.exceptions.ReadTimeout("read timed out"): "unknown",
        requests.exceptions.ConnectionError(reset): "unknown",
        requests.exceptions.ChunkedEncodingError("truncated"): "unknown",
        requests.exceptions.InvalidURL("bad base URL"): "permanent",
        json.JSONDecodeError("garbled 201 body", "", 0): "unknown",
        RuntimeError("something new"): "unknown",
    }
    for exc, expected in cases.items():
        assert classify_twilio_error(exc) == expected, exc


def test_wrong_credentials_get_401(fake: FakeTwilio) -> None:
    sdk = build_twilio_client(fake.account_sid, "wrong-token", fake.base_url, 2.0)
    with pytest.raises(TwilioRestException) as failed:
        create_call(sdk)
    assert (failed.value.status, failed.value.code) == (401, 20003)
    assert classify_twilio_error(failed.value) == "permanent"
    assert fake.requests[0].status == 401
    assert fake.calls_created() == []


def test_unknown_path_gets_twilio_404_body(fake: FakeTwilio) -> None:
    response = requests.get(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Nope.json",
        auth=(fake.account_sid, fake.auth_token),
        timeout=2,
    )
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["status"]) == (20404, 404)
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20404"


def test_wait_for_wakes_when_another_thread_calls(fake: FakeTwilio, sdk: Client) -> None:
    def worker() -> None:
        time.sleep(0.2)
        create_call(sdk)

    thread = threading.Thread(target=worker)
    started = time.monotonic()
    thread.start()
    recorded = fake.wait_for(lambda r: r.created and r.path.endswith("/Calls.json"), timeout=5)
    waited = time.monotonic() - started
    thread.join()

    assert isinstance(recorded, Recorded)
    assert recorded.param("To") == LEAD
    assert 0.15 < waited < 2

    # Already-recorded requests count; a request that never comes fails fast and clearly.
    assert fake.wait_for(timeout=0.1) is recorded
    with pytest.raises(AssertionError, match="no matching request"):
        fake.wait_for(lambda r: r.path.endswith("Messages.json"), timeout=0.1)


def test_concurrent_creates_and_reset(fake: FakeTwilio, sdk: Client) -> None:
    sids: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        sid = create_call(sdk).sid
        with lock:
            sids.append(sid)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(sids)) == 10
    assert {r.sid for r in fake.calls_created()} == set(sids)

    fake.fail_next("Calls.json", times=3)
    fake.reset()
    assert fake.requests == []
    assert create_call(sdk).status == "queued"  # the scripted fault is gone too


def test_twilio_client_reads_settings_and_caches(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = SimpleNamespace(
        TWILIO_ACCOUNT_SID=fake.account_sid,
        TWILIO_AUTH_TOKEN=fake.auth_token,
        TWILIO_API_BASE_URL=fake.base_url + "/",
        TWILIO_TIMEOUT_SECONDS=3,
    )
    monkeypatch.setattr(twilio_client_module, "settings", stand_in)

    sdk = twilio_client()
    assert twilio_client() is sdk
    assert sdk.http_client.timeout == 3.0
    for domain in (sdk.api, sdk.messaging, sdk.content):
        assert domain.base_url == fake.base_url
    assert create_call(sdk).status == "queued"
    assert fake.calls_created()[0].header("Authorization", "").startswith("Basic ")

    stand_in.TWILIO_TIMEOUT_SECONDS = 5
    assert twilio_client() is not sdk

    # Without a base URL the SDK's own Twilio hosts stay; the timeout defaults to 10 s.
    monkeypatch.setattr(twilio_client_module, "settings", SimpleNamespace(TWILIO_ACCOUNT_SID="AC1"))
    production = twilio_client()
    assert production.api.base_url == "https://api.twilio.com"
    assert production.http_client.timeout == 10.0


class _RecordingClient:
    """Stands in for django.test.Client: keeps what post() was called with."""

    def post(self, path: str, data: str, content_type: str, **extra: str) -> dict:
        self.call = {"path": path, "data": data, "content_type": content_type, **extra}
        return self.call


class _QueryDictLike(dict):
    def getlist(self, name: str) -> list[str]:
        return self[name]


def test_signed_post_signs_public_url_with_all_values() -> None:
    token = "secret-token"
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed", "Event": ["a", "b"]}
    sent = signed_post(
        _RecordingClient(),
        "/twilio/calls/status",
        params,
        public_url="https://leadflow.example/",
        auth_token=token,
    )

    assert sent["path"] == "/twilio/calls/status"
    assert sent["content_type"] == "application/x-www-form-urlencoded"
    received = _QueryDictLike(parse_qs(sent["data"]))
    assert received["Event"] == ["a", "b"]
    signature = sent["HTTP_X_TWILIO_SIGNATURE"]
    validator = RequestValidator(token)
    assert validator.validate("https://leadflow.example/twilio/calls/status", received, signature)
    # Signed for the public URL, so the internal one the app sees must not validate.
    assert not validator.validate("http://testserver/twilio/calls/status", received, signature)
    assert signature == twilio_signature(
        token, "https://leadflow.example/twilio/calls/status", params
    )
