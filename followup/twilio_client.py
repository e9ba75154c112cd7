"""The one place LeadFlow builds its Twilio REST client, and tells apart how a call failed.

Every provider call goes through ``twilio_client()`` so it has a timeout, no hidden retries
(our Celery tasks retry, and only when that is safe) and, in tests, the local fake of
Twilio's REST API as its base URL. ``classify_twilio_error()`` decides whether a failed
request may be repeated: a create whose outcome is unknown must never be blindly repeated,
or the lead gets called twice.
"""

from __future__ import annotations

import functools
import os
from enum import StrEnum

import requests
import urllib3.exceptions
from django.conf import settings
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

DEFAULT_TIMEOUT_SECONDS = 10.0

# Domains whose base URL follows TWILIO_API_BASE_URL. Their paths never collide
# (api: /2010-04-01/..., messaging and content: /v1/Services/..., /v1/Content/...), so one
# fake server can answer for all of them. Other domains keep Twilio's hosts: we don't use them.
_OVERRIDDEN_DOMAINS = ("api", "messaging", "content")


class TwilioFailure(StrEnum):
    """How a failed Twilio request may be handled. Members compare equal to plain strings."""

    # Nothing was done at Twilio (or Twilio said "try later"): repeating is safe.
    TRANSIENT = "transient"
    # Twilio refused the request for a reason repeating can't fix (bad number, opt-out, ...).
    PERMANENT = "permanent"
    # The request may have reached Twilio and been acted on, but the answer was lost.
    # Repeating a create could call or text the lead twice: reconcile first.
    UNKNOWN = "unknown"


# Twilio error codes we expect to meet, for the reader and for logs; any other 4xx is
# permanent too, unless listed in _TRANSIENT_CODES.
PERMANENT_CODES: dict[int, str] = {
    20003: "authentication failed (wrong account SID or auth token)",
    20404: "resource not found",
    21205: "Url parameter is required / invalid Url",
    21211: "invalid 'To' phone number",
    21212: "invalid 'From' phone number",
    21408: "permission to send to this region has not been enabled",
    21606: "'From' number is not a valid, SMS-capable number for this account",
    21610: "recipient has unsubscribed (replied STOP)",
    21614: "'To' number is not a mobile number",
    63016: "outside the WhatsApp 24h session window: freeform message not allowed",
}

# 4xx answers that mean "not now" rather than "never": Twilio queued nothing.
_TRANSIENT_CODES = frozenset(
    {
        20429,  # too many requests (also sent as HTTP 429)
        21611,  # the 'From' number's outbound message queue is full
    }
)
_TRANSIENT_STATUSES = frozenset({408, 429})

# Failures that happen before a single byte of the request leaves this machine: DNS, TCP
# connect (refused, unreachable, timed out), TLS handshake. urllib3 reports all of them as
# NewConnectionError/NameResolutionError (subclasses of ConnectTimeoutError) or SSLError.
_NOT_SENT_CAUSES: tuple[type[BaseException], ...] = (
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.NameResolutionError,
    urllib3.exceptions.SSLError,
    urllib3.exceptions.ProxyError,
    ConnectionRefusedError,
)


def build_twilio_client(
    account_sid: str,
    auth_token: str,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> Client:
    """Build a new Twilio client from explicit values (``twilio_client()`` caches these)."""
    # max_retries=0: requests/urllib3 then neither retries connects nor re-sends a request
    # whose answer was lost; a re-sent create is exactly the duplicate call we must avoid.
    # (That is also requests' default for http://, which the test fake uses.)
    http_client = TwilioHttpClient(timeout=timeout, max_retries=0)
    client = Client(
        username=account_sid,
        password=auth_token,
        account_sid=account_sid,
        http_client=http_client,
        # A non-empty mapping keeps the SDK from reading TWILIO_* from os.environ (an empty
        # one falls back to it): settings are the single source of configuration.
        environment={"LEADFLOW": "settings"},
    )
    if base_url:
        # twilio 9: each Domain (client.api, client.messaging, ...) is created with its
        # public ``base_url`` attribute (e.g. "https://api.twilio.com") and joins it with the
        # relative URI on every request (Domain.absolute_url), so setting it is enough and
        # touches no private state. Edge/region rewriting would mangle a host like
        # 127.0.0.1:54321, so it is off (it already is without env vars; this makes it sure).
        client.edge = None
        client.region = None
        for name in _OVERRIDDEN_DOMAINS:
            getattr(client, name).base_url = base_url.rstrip("/")
    return client


@functools.lru_cache(maxsize=8)
def _cached_client(
    pid: int, account_sid: str, auth_token: str, base_url: str | None, timeout: float
) -> Client:
    # pid is part of the key so a Celery prefork child never reuses the pooled sockets of a
    # client its parent built before forking.
    del pid
    return build_twilio_client(account_sid, auth_token, base_url, timeout)


def twilio_client() -> Client:
    """The process's Twilio client, built from Django settings and cached per their values.

    Settings: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_BASE_URL (optional; points
    the api/messaging/content domains elsewhere, e.g. at the test fake) and
    TWILIO_TIMEOUT_SECONDS (default 10). A changed setting (override_settings in tests)
    simply yields another cached client.
    """
    return _cached_client(
        os.getpid(),
        getattr(settings, "TWILIO_ACCOUNT_SID", "") or "",
        getattr(settings, "TWILIO_AUTH_TOKEN", "") or "",
        getattr(settings, "TWILIO_API_BASE_URL", None) or None,
        float(getattr(settings, "TWILIO_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
    )


def clear_twilio_client_cache() -> None:
    """Forget cached clients (for tests that want a fresh connection pool)."""
    _cached_client.cache_clear()


def twilio_error_code(exc: BaseException) -> int | None:
    """Twilio's numeric error code (e.g. 21211) of an API error answer, else None."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        try:
            return int(exc.code) if exc.code is not None else None
        except (TypeError, ValueError):
            return None
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """exc and everything it wraps: requests and urllib3 nest errors in args and .reason."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 32:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        nested.extend(current.args)
        todo.extend(n for n in nested if isinstance(n, BaseException))
    return seen


def classify_twilio_error(exc: BaseException) -> str:
    """Say whether a failed Twilio request is "transient", "permanent" or "unknown".

    - transient: safe to repeat later. Nothing was sent (connection refused, DNS, connect
      timeout, TLS handshake) or Twilio answered 5xx / 429 / 408 / queue-full.
    - permanent: Twilio answered 4xx (21211 invalid To, 21610 unsubscribed, 21614 not
      mobile, 63016 outside the WhatsApp window, 21408 permission, 20003 auth, ...), or the
      request could not even be built (invalid URL); repeating can't help.
    - unknown: the request was (or may have been) sent and the answer was lost: read
      timeout, connection dropped or reset mid-exchange, garbled or unparsable answer, and
      anything unrecognised. A create in this state must be reconciled, not repeated.
    """
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = exc.status if isinstance(exc.status, int) else 0
        if status >= 500 or status in _TRANSIENT_STATUSES:
            return TwilioFailure.TRANSIENT
        if twilio_error_code(exc) in _TRANSIENT_CODES:
            return TwilioFailure.TRANSIENT
        if 400 <= status < 500:
            return TwilioFailure.PERMANENT
        return TwilioFailure.UNKNOWN

    # Order matters: ConnectTimeout is both a ConnectionError and a Timeout, and is the
    # only Timeout that proves nothing was sent.
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TwilioFailure.TRANSIENT
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TwilioFailure.UNKNOWN
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return TwilioFailure.TRANSIENT
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema
        | requests.exceptions.InvalidHeader,
    ):
        # Raised while preparing the request: a configuration error no retry will fix.
        return TwilioFailure.PERMANENT
    if isinstance(exc, OSError):
        # requests.ConnectionError is an OSError too. It wraps both "could not connect"
        # (MaxRetryError -> NewConnectionError) and "sent, then the peer closed or reset"
        # (ProtocolError -> RemoteDisconnected / ConnectionResetError); only the cause tells
        # them apart, and only the first proves nothing reached Twilio.
        if any(isinstance(c, _NOT_SENT_CAUSES) for c in _causes(exc)):
            return TwilioFailure.TRANSIENT
        return TwilioFailure.UNKNOWN
    # ChunkedEncodingError, ContentDecodingError, JSON errors on a 2xx body, TwilioException
    # raised after an answer, anything new: we can't prove nothing happened at Twilio.
    return TwilioFailure.UNKNOWN
