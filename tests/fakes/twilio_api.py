"""A local HTTP fake of the slice of Twilio's REST API that LeadFlow uses.

Tests drive the real twilio SDK against it (TWILIO_API_BASE_URL=fake.base_url), so the
only thing faked is the wire: the SDK's serialisation, auth, error parsing and timeouts all
run for real. Bodies follow what api.twilio.com returns (2010-04-01 API) closely enough for
the SDK's CallInstance/MessageInstance to populate.

Besides answering, the fake records every request (``requests``, ``calls_created()``,
``wait_for()``) and can be scripted to fail (``fail_next``), answer too late
(``delay_next``) or hang up without answering (``drop_connection_next``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2010-04-01"
_ACCOUNT = rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("account", re.compile(rf"^{_ACCOUNT}\.json$")),
    ("calls", re.compile(rf"^{_ACCOUNT}/Calls\.json$")),
    ("call", re.compile(rf"^{_ACCOUNT}/Calls/(?P<sid>[^/]+)\.json$")),
    ("call_events", re.compile(rf"^{_ACCOUNT}/Calls/(?P<sid>[^/]+)/Events\.json$")),
    ("messages", re.compile(rf"^{_ACCOUNT}/Messages\.json$")),
    ("message", re.compile(rf"^{_ACCOUNT}/Messages/(?P<sid>[^/]+)\.json$")),
]
# Twilio's Content API (content.twilio.com/v1), served by the same fake: its paths never
# collide with the 2010 API's.
_CONTENT_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("contents", re.compile(r"^/v1/Content$")),
    ("content", re.compile(r"^/v1/Content/(?P<sid>HX[0-9a-f]{32})$")),
    (
        "approval_create",
        re.compile(r"^/v1/Content/(?P<sid>HX[0-9a-f]{32})/ApprovalRequests/whatsapp$"),
    ),
    ("approval_fetch", re.compile(r"^/v1/Content/(?P<sid>HX[0-9a-f]{32})/ApprovalRequests$")),
]
_CONTENT_BASE = "https://content.twilio.com"
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_CATEGORIES = frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"})
_CALL_TERMINAL = frozenset({"completed", "canceled", "failed", "busy", "no-answer"})
_DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Authenticate",
    404: "The requested resource was not found",
    429: "Too Many Requests",
    500: "An internal server error has occurred",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two-letter prefix + 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


def _rfc2822_now() -> str:
    # Twilio's 2010 API dates look like "Tue, 31 Aug 2010 20:36:28 +0000".
    return format_datetime(datetime.now(UTC))


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it, and what it did about it."""

    method: str
    path: str
    # Form-encoded body for POST, the query string for GET/DELETE; repeated keys
    # (StatusCallbackEvent) keep all their values in order.
    params: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    at: float  # time.time() on arrival, comparable with timezone.now().timestamp()
    query: dict[str, list[str]] = field(default_factory=dict)
    body: str = ""
    status: int | None = None  # HTTP status answered; None when the connection was dropped
    fault: str | None = None  # None, or the scripted fault applied: "fail", "delay", "drop"
    sid: str | None = None  # SID of the call/message this request created or changed
    created: bool = False  # True when it created a call or message (even if the answer was lost)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of a parameter."""
        values = self.params.get(name)
        return values[0] if values else default

    @property
    def flat_params(self) -> dict[str, str]:
        """Parameters with only their first value, for comparing against a plain dict."""
        return {name: values[0] for name, values in self.params.items() if values}

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def answered(self) -> str:
        """What the client got: "201", "500", ... or "dropped"."""
        return "dropped" if self.status is None else str(self.status)


@dataclass
class _Fault:
    kind: str  # "fail" | "delay" | "drop"
    path_suffix: str
    method: str | None
    remaining: int
    status: int = 500
    code: int = 20500
    message: str | None = None
    seconds: float = 0.0
    process: bool = True

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and path.endswith(self.path_suffix)
            and (self.method is None or self.method == method)
        )


@dataclass
class _Plan:
    """What the handler thread does once the request is recorded."""

    status: int | None
    payload: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like api.twilio.com, so the SDK's pooled session behaves as in
    # production (every answer carries Content-Length).
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the recorded requests are the log, and pytest output stays readable.
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        fake = self.server.fake
        plan = fake._dispatch(self.command, self.path, headers, body)
        if plan.delay:
            # Wakes early when the fake closes, so teardown never waits out a long delay.
            fake._closing.wait(plan.delay)
        if plan.status is None:
            # Hang up without a word: the client sees "Remote end closed connection".
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(plan.payload).encode() if plan.payload is not None else b""
        try:
            self.send_response(plan.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Twilio-Request-Id", new_sid("RQ"))
            for name, value in plan.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            # The client gave up already (read timeout): nobody is left to answer.
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Don't join handler threads on close: a keep-alive connection idles in readline().
    block_on_close = False

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._open_lock:
            self._open.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        # After close() the fake is gone like a crashed server: pooled client connections
        # see EOF instead of talking to a zombie handler.
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class FakeTwilio:
    """Twilio's REST API on 127.0.0.1:<free port>, serving from a daemon thread.

    It starts serving on construction; use it as a context manager (or call ``close()``).
    """

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self._cond = threading.Condition()
        self._requests: list[Recorded] = []
        self._faults: list[_Fault] = []
        self._calls: dict[str, dict[str, Any]] = {}
        self._call_events: dict[str, list[dict[str, Any]]] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self._contents: dict[str, dict[str, Any]] = {}
        self._approvals: dict[str, dict[str, Any]] = {}
        self._closing = threading.Event()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeTwilio:{port}",
            daemon=True,
        )
        self._thread.start()

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> FakeTwilio:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_open_connections()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget requests, scripted faults, calls and messages (keeps URL and credentials)."""
        with self._cond:
            self._requests.clear()
            self._faults.clear()
            self._calls.clear()
            self._call_events.clear()
            self._messages.clear()
            self._contents.clear()
            self._approvals.clear()

    # -- inspection ------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        """Every request received so far, oldest first (a snapshot)."""
        with self._cond:
            return list(self._requests)

    def calls_created(self) -> list[Recorded]:
        """Requests that created a call, including those whose answer was delayed or lost:
        what Twilio would actually have dialled."""
        return [r for r in self.requests if r.created and r.path.endswith("/Calls.json")]

    def messages_created(self) -> list[Recorded]:
        """Requests that created a message (SMS, MMS or WhatsApp), answer lost or not."""
        return [r for r in self.requests if r.created and r.path.endswith("/Messages.json")]

    def call(self, sid: str) -> dict[str, Any]:
        """The fake's current state of a call (as GET would return it)."""
        with self._cond:
            return dict(self._calls[sid])

    def message(self, sid: str) -> dict[str, Any]:
        with self._cond:
            return dict(self._messages[sid])

    def contents(self) -> dict[str, dict[str, Any]]:
        """Content templates created so far, by SID (as GET /v1/Content/{sid} returns them)."""
        with self._cond:
            return {sid: dict(content) for sid, content in self._contents.items()}

    def approval(self, sid: str) -> dict[str, Any] | None:
        """The WhatsApp approval request of a content template, or None if not submitted."""
        with self._cond:
            found = self._approvals.get(sid)
            return dict(found) if found is not None else None

    def set_approval(self, sid: str, status: str, rejection_reason: str = "") -> None:
        """Meta's decision on a submitted template: "approved", "rejected", "paused", ..."""
        with self._cond:
            self._approvals[sid].update(status=status, rejection_reason=rejection_reason)

    def set_call_status(self, sid: str, status: str, **fields: Any) -> None:
        """Move a call along (ringing, in-progress, completed, ...) as Twilio would, e.g.
        before posting the matching signed status callback to the app."""
        with self._cond:
            self._calls[sid].update(fields, status=status, date_updated=_rfc2822_now())

    def wait_for(
        self, predicate: Callable[[Recorded], bool] | None = None, timeout: float = 5.0
    ) -> Recorded:
        """Block until a request matching ``predicate`` (any request if None) has been
        recorded, counting those already recorded, and return the first such request.

        Wakes on each new request (no polling), so it returns as soon as e.g. a Celery
        worker's call reaches the fake. Raises AssertionError after ``timeout`` seconds.
        """
        match = predicate or (lambda _r: True)
        found: list[Recorded] = []

        def ready() -> bool:
            found[:] = [r for r in self._requests if match(r)][:1]
            return bool(found)

        with self._cond:
            if not self._cond.wait_for(ready, timeout=timeout):
                seen = "\n".join(f"  {r.method} {r.path} -> {r.answered}" for r in self._requests)
                raise AssertionError(
                    f"no matching request to the Twilio fake within {timeout}s; "
                    f"received:\n{seen or '  (none)'}"
                )
            return found[0]

    # -- scripted faults -------------------------------------------------------------

    def fail_next(
        self,
        path_suffix: str = "Calls.json",
        status: int = 500,
        code: int = 20500,
        message: str | None = None,
        *,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with a
        Twilio error body (nothing is created), e.g. status=400, code=21211."""
        self._add_fault(
            _Fault("fail", path_suffix, method, times, status=status, code=code, message=message)
        )

    def delay_next(
        self,
        path_suffix: str,
        seconds: float,
        *,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Process the next matching requests normally (the call IS created) but answer
        only after ``seconds``: longer than the client's timeout gives a read timeout."""
        self._add_fault(_Fault("delay", path_suffix, method, times, seconds=seconds))

    def drop_connection_next(
        self,
        path_suffix: str,
        *,
        times: int = 1,
        method: str | None = None,
        process: bool = True,
    ) -> None:
        """Close the socket without answering the next matching requests. With
        ``process=True`` the request takes effect first (the answer is lost, the call is
        real); with ``process=False`` nothing is created."""
        self._add_fault(_Fault("drop", path_suffix, method, times, process=process))

    def _add_fault(self, fault: _Fault) -> None:
        with self._cond:
            self._faults.append(fault)

    # -- request handling (handler threads) ------------------------------------------

    def _dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Plan:
        parts = urlsplit(raw_path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        text = body.decode("utf-8", errors="replace")
        is_form = "application/x-www-form-urlencoded" in headers.get("content-type", "")
        form = parse_qs(text, keep_blank_values=True) if method == "POST" and is_form else {}
        params = form if method == "POST" else query
        with self._cond:
            fault = self._take_fault(method, path) if self._authorised(headers) else None
            if fault is not None and fault.kind == "fail":
                plan, sid, created = (
                    self._error(fault.status, fault.code, fault.message),
                    None,
                    False,
                )
            elif fault is not None and fault.kind == "drop" and not fault.process:
                plan, sid, created = _Plan(None, None), None, False
            else:
                plan, sid, created = self._route(method, path, params, query, headers, text)
                if fault is not None and fault.kind == "drop":
                    plan = _Plan(None, None)
                elif fault is not None and fault.kind == "delay":
                    plan.delay = fault.seconds
            self._requests.append(
                Recorded(
                    method=method,
                    path=path,
                    params=params,
                    headers=headers,
                    at=time.time(),
                    query=query,
                    body=text,
                    status=plan.status,
                    fault=fault.kind if fault else None,
                    sid=sid,
                    created=created,
                )
            )
            self._cond.notify_all()
        return plan

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                return fault
        return None

    def _authorised(self, headers: dict[str, str]) -> bool:
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(
            password, self.auth_token
        )

    @staticmethod
    def _error(
        status: int, code: int, message: str | None = None, detail: str | None = None
    ) -> _Plan:
        payload: dict[str, Any] = {
            "code": code,
            "message": message or _DEFAULT_MESSAGES.get(status, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        if detail:
            payload["detail"] = detail
        return _Plan(status, payload)

    def _route(
        self,
        method: str,
        path: str,
        params: dict[str, list[str]],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: str = "",
    ) -> tuple[_Plan, str | None, bool]:
        if not self._authorised(headers):
            plan = self._error(
                401, 20003, "Authenticate", "Your AccountSid or AuthToken was incorrect."
            )
            plan.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return plan, None, False
        for name, pattern in _CONTENT_ROUTES:
            m = pattern.match(path)
            if m is None:
                continue
            handler = getattr(self, f"_{name}_{method.lower()}", None)
            if handler is None:
                return self._error(405, 20004, "Method not allowed"), None, False
            try:
                payload = json.loads(body) if body else {}
            except ValueError:
                payload = None
            if method == "POST" and not isinstance(payload, dict):
                return self._error(400, 20001, "Invalid JSON body"), None, False
            return handler(m.groupdict().get("sid"), payload or {})
        for name, pattern in _ROUTES:
            m = pattern.match(path)
            if m is None:
                continue
            if m["account"] != self.account_sid:
                break
            handler = getattr(self, f"_{name}_{method.lower()}", None)
            if handler is None:
                return self._error(405, 20004, "Method not allowed"), None, False
            one = {k: v[0] for k, v in params.items() if v}
            if "sid" in m.groupdict():
                return handler(m["sid"], one, params)
            return handler(one, params, query)
        return (
            self._error(404, 20404, f"The requested resource {path} was not found"),
            None,
            False,
        )

    # account ------------------------------------------------------------------------

    def _account_get(
        self, one: dict[str, str], params: Any, query: Any
    ) -> tuple[_Plan, None, bool]:
        now = _rfc2822_now()
        payload = {
            "auth_token": self.auth_token,
            "date_created": now,
            "date_updated": now,
            "friendly_name": "LeadFlow fake account",
            "owner_account_sid": self.account_sid,
            "sid": self.account_sid,
            "status": "active",
            "subresource_uris": {},
            "type": "Full",
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}.json",
        }
        return _Plan(200, payload), None, False

    # calls --------------------------------------------------------------------------

    def _calls_post(
        self, one: dict[str, str], params: dict[str, list[str]], query: Any
    ) -> tuple[_Plan, str | None, bool]:
        if not one.get("To"):
            return self._error(400, 21201, "No 'To' number is specified"), None, False
        if not one.get("From"):
            return self._error(400, 21213, "No 'From' number is specified"), None, False
        if not (one.get("Url") or one.get("Twiml") or one.get("ApplicationSid")):
            return self._error(400, 21205, "Url parameter is required."), None, False
        sid = new_sid("CA")
        now = _rfc2822_now()
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}"
        call = {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": one["From"],
            "from_formatted": one["From"],
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": new_sid("PN"),
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {
                name: f"{base}/{name.title().replace('_', '')}.json"
                for name in (
                    "notifications",
                    "recordings",
                    "payments",
                    "events",
                    "siprec",
                    "streams",
                    "transcriptions",
                    "user_defined_message_subscriptions",
                    "user_defined_messages",
                )
            },
            "to": one["To"],
            "to_formatted": one["To"],
            "trunk_sid": None,
            "uri": f"{base}.json",
        }
        self._calls[sid] = call
        # Twilio's Call Events: the webhook requests Twilio made for the call. Twilio requests
        # the StatusCallback with "initiated" as soon as it places the call, so the URL the
        # app gave (which names its leg) is readable from the call from the start.
        self._call_events[sid] = []
        if one.get("StatusCallback") and "initiated" in params.get("StatusCallbackEvent", []):
            self._call_events[sid].append(
                {
                    "request": {
                        "method": one.get("StatusCallbackMethod", "POST"),
                        "url": one["StatusCallback"],
                        "parameters": {"CallSid": sid, "CallStatus": "initiated"},
                    },
                    "response": {"response_code": 204, "content_type": None},
                }
            )
        return _Plan(201, dict(call)), sid, True

    def _call_events_get(
        self, sid: str, one: dict[str, str], params: Any
    ) -> tuple[_Plan, str | None, bool]:
        if sid not in self._calls:
            return self._not_found(sid), None, False
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}/Events.json"
        events = list(self._call_events.get(sid, []))
        page = {
            "events": events,
            "end": max(len(events) - 1, 0),
            "first_page_uri": f"{uri}?PageSize=50&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{uri}?PageSize=50&Page=0",
        }
        return _Plan(200, page), sid, False

    def _calls_get(
        self, one: dict[str, str], params: Any, query: dict[str, list[str]]
    ) -> tuple[_Plan, None, bool]:
        return self._page("calls", self._calls, one), None, False

    def _call_get(
        self, sid: str, one: dict[str, str], params: Any
    ) -> tuple[_Plan, str | None, bool]:
        if sid not in self._calls:
            return self._not_found(sid), None, False
        return _Plan(200, dict(self._calls[sid])), sid, False

    def _call_post(
        self, sid: str, one: dict[str, str], params: Any
    ) -> tuple[_Plan, str | None, bool]:
        if sid not in self._calls:
            return self._not_found(sid), None, False
        call = self._calls[sid]
        status = one.get("Status")
        if call["status"] in _CALL_TERMINAL:
            # Twilio refuses to touch a call that has already ended.
            return (
                self._error(400, 21220, "Call is not in-progress. Cannot redirect."),
                sid,
                False,
            )
        if status is not None:
            if status not in ("completed", "canceled"):
                return self._error(400, 21218, f"Invalid Status: {status}"), sid, False
            call["status"] = status
        call["date_updated"] = _rfc2822_now()
        return _Plan(200, dict(call)), sid, False

    def _call_delete(self, sid: str, one: Any, params: Any) -> tuple[_Plan, str | None, bool]:
        if self._calls.pop(sid, None) is None:
            return self._not_found(sid), None, False
        return _Plan(204, None), sid, False

    # messages -----------------------------------------------------------------------

    def _messages_post(
        self, one: dict[str, str], params: dict[str, list[str]], query: Any
    ) -> tuple[_Plan, str | None, bool]:
        if not one.get("To"):
            return self._error(400, 21604, "A 'To' phone number is required."), None, False
        if not (one.get("From") or one.get("MessagingServiceSid")):
            return self._error(400, 21603, "A 'From' phone number is required."), None, False
        media = params.get("MediaUrl", [])
        if not (one.get("Body") or one.get("ContentSid") or media):
            return self._error(400, 21602, "Message body is required."), None, False
        if "ContentVariables" in one:
            try:
                variables = json.loads(one["ContentVariables"])
            except ValueError:
                variables = None
            if not isinstance(variables, dict):
                return (
                    self._error(400, 21656, "The ContentVariables Parameter is invalid."),
                    None,
                    False,
                )
        sid = new_sid("MM" if media else "SM")
        now = _rfc2822_now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        # Sent through a messaging service without From, Twilio picks the sender later and
        # says "accepted"; with a sender it is "queued".
        via_service_only = not one.get("From")
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": one.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": None if via_service_only else one["From"],
            "messaging_service_sid": one.get("MessagingServiceSid"),
            "num_media": str(len(media)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if via_service_only else "queued",
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": one["To"],
            "uri": uri,
        }
        self._messages[sid] = message
        return _Plan(201, dict(message)), sid, True

    def _messages_get(
        self, one: dict[str, str], params: Any, query: dict[str, list[str]]
    ) -> tuple[_Plan, None, bool]:
        return self._page("messages", self._messages, one), None, False

    def _message_get(
        self, sid: str, one: dict[str, str], params: Any
    ) -> tuple[_Plan, str | None, bool]:
        if sid not in self._messages:
            return self._not_found(sid), None, False
        return _Plan(200, dict(self._messages[sid])), sid, False

    def _message_delete(self, sid: str, one: Any, params: Any) -> tuple[_Plan, str | None, bool]:
        # Twilio deletes a message's record and body for good (GDPR erasure); 404 once gone.
        if self._messages.pop(sid, None) is None:
            return self._not_found(sid), None, False
        return _Plan(204, None), sid, False

    # content templates (Content API v1) ----------------------------------------------

    def _content_payload(self, sid: str) -> dict[str, Any]:
        return dict(self._contents[sid])

    def _contents_post(self, sid: None, body: dict[str, Any]) -> tuple[_Plan, str | None, bool]:
        types = body.get("types")
        if not body.get("friendly_name"):
            return self._error(400, 20001, "Missing required parameter friendly_name"), None, False
        if not isinstance(types, dict) or not any(isinstance(v, dict) for v in types.values()):
            return self._error(400, 20001, "Missing required parameter types"), None, False
        text = types.get("twilio/text")
        if isinstance(text, dict) and not text.get("body"):
            return self._error(400, 20001, "twilio/text requires a body"), None, False
        sid = new_sid("HX")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        url = f"{_CONTENT_BASE}/v1/Content/{sid}"
        self._contents[sid] = {
            "account_sid": self.account_sid,
            "date_created": now,
            "date_updated": now,
            "friendly_name": body["friendly_name"],
            "language": body.get("language") or "en",
            "links": {
                "approval_create": f"{url}/ApprovalRequests/whatsapp",
                "approval_fetch": f"{url}/ApprovalRequests",
            },
            "sid": sid,
            # SDK serialisation leaves unused types as null; Twilio stores only those given.
            "types": {k: v for k, v in types.items() if v is not None},
            "url": url,
            "variables": body.get("variables") or {},
        }
        return _Plan(201, self._content_payload(sid)), sid, True

    def _contents_get(self, sid: None, body: Any) -> tuple[_Plan, None, bool]:
        rows = [dict(c) for c in reversed(list(self._contents.values()))]
        meta = {
            "page": 0,
            "page_size": 50,
            "first_page_url": f"{_CONTENT_BASE}/v1/Content",
            "previous_page_url": None,
            "url": f"{_CONTENT_BASE}/v1/Content",
            "next_page_url": None,
            "key": "contents",
        }
        return _Plan(200, {"contents": rows, "meta": meta}), None, False

    def _content_get(self, sid: str, body: Any) -> tuple[_Plan, str | None, bool]:
        if sid not in self._contents:
            return self._not_found(sid), None, False
        return _Plan(200, self._content_payload(sid)), sid, False

    def _approval_create_post(
        self, sid: str, body: dict[str, Any]
    ) -> tuple[_Plan, str | None, bool]:
        if sid not in self._contents:
            return self._not_found(sid), None, False
        name, category = str(body.get("name") or ""), str(body.get("category") or "")
        if not _TEMPLATE_NAME.match(name):
            return (
                self._error(400, 20001, "Template name may only hold a-z, 0-9 and _"),
                sid,
                False,
            )
        if category not in _CATEGORIES:
            return self._error(400, 20001, f"Invalid category: {category}"), sid, False
        if sid in self._approvals:
            return (
                self._error(409, 20409, "An approval request was already submitted"),
                sid,
                False,
            )
        types = self._contents[sid]["types"]
        self._approvals[sid] = {
            "allow_category_change": True,
            "category": category,
            "content_type": next(iter(types), "twilio/text"),
            "flows": None,
            "name": name,
            "rejection_reason": "",
            "status": "received",
            "type": "whatsapp",
        }
        answer = {k: v for k, v in self._approvals[sid].items() if k not in ("type", "flows")}
        return _Plan(201, answer), sid, False

    def _approval_fetch_get(self, sid: str, body: Any) -> tuple[_Plan, str | None, bool]:
        if sid not in self._contents:
            return self._not_found(sid), None, False
        payload = {
            "account_sid": self.account_sid,
            "sid": sid,
            "url": f"{_CONTENT_BASE}/v1/Content/{sid}/ApprovalRequests",
            "whatsapp": dict(self._approvals.get(sid) or {}),
        }
        return _Plan(200, payload), sid, False

    # shared -------------------------------------------------------------------------

    def _not_found(self, sid: str) -> _Plan:
        return self._error(404, 20404, f"The requested resource {sid} was not found")

    def _page(self, key: str, items: dict[str, dict[str, Any]], filters: dict[str, str]) -> _Plan:
        # Only the filters we might use; one page holds everything (tests create few).
        wanted = {"To": "to", "From": "from", "Status": "status"}
        rows = [
            dict(item)
            for item in reversed(list(items.values()))  # Twilio lists newest first
            if all(
                item.get(attr) == filters[name] for name, attr in wanted.items() if name in filters
            )
        ]
        page_size = int(filters.get("PageSize", "50"))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/{key.title()}.json"
        payload = {
            key: rows[:page_size],
            "end": max(len(rows[:page_size]) - 1, 0),
            "first_page_uri": f"{uri}?PageSize={page_size}&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{uri}?PageSize={page_size}&Page=0",
        }
        return _Plan(200, payload)
