"""Web Push to staff's browsers: VAPID-signed, aes128gcm-encrypted, through pywebpush.

No third-party push service of ours sits in between: the browser names its push service
(FCM for Chrome/Android, Mozilla's, Apple's for iOS 16.4+ home-screen apps) and we post there,
encrypted to the browser's own keys, so the push service never reads a lead's name.

Push is the second alarm: the phone call rings for a new lead whatever happens here. A push
that fails is logged on its subscription (the notifications page shows it) and not retried;
a subscription the push service calls gone is deleted.
"""

from __future__ import annotations

import base64
import enum
import json
import logging
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from dealers.models import PushSubscription, Salesperson

log = logging.getLogger(__name__)

# How long a push service keeps trying to reach a phone that is off: a new-lead alarm older than
# this is worse than none (the lead has been rung, re-offered or taken by then).
PUSH_TTL_SECONDS = 15 * 60


class PushOutcome(enum.StrEnum):
    SENT = "sent"
    GONE = "gone"  # the push service forgot the subscription: deleted
    FAILED = "failed"  # temporary (5xx, 429, timeout) or refused; the subscription stays


@dataclass(frozen=True)
class PushNotice:
    title: str
    body: str
    url: str
    # Same tag, same notification: a repeat replaces the first on the phone instead of stacking.
    tag: str

    def payload(self) -> str:
        return json.dumps(
            {"title": self.title, "body": self.body, "url": self.url, "tag": self.tag},
            ensure_ascii=False,
        )


class PushRefused(ValueError):
    """A subscription the server will not post to (not https, not a known push service)."""


def push_enabled() -> bool:
    return bool(settings.LEADFLOW_VAPID_PRIVATE_KEY)


@cache
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_string(private_key=private_key)


def vapid_public_key() -> str:
    """The applicationServerKey browsers subscribe with: base64url of the uncompressed point."""
    if not push_enabled():
        return ""
    point = _vapid(settings.LEADFLOW_VAPID_PRIVATE_KEY).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def endpoint_check(endpoint: str) -> None:
    """Refuse endpoints outside the push services: the URL comes from a browser, and the server
    must not be made to post to an address inside the dealer's network."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    allowed = [h.lower() for h in settings.LEADFLOW_PUSH_HOSTS]
    known = any(host == h or (h.startswith(".") and host.endswith(h)) for h in allowed)
    if not known:
        raise PushRefused(f"{host or 'no host'} is not a known push service")
    # Plain http only to this machine (a local push service in tests and development).
    if parts.scheme != "https" and host not in ("127.0.0.1", "localhost"):
        raise PushRefused("push endpoints are https")


def subscription_save(
    *, salesperson: Salesperson, endpoint: str, p256dh: str, auth: str, device: str
) -> PushSubscription:
    """Store a browser's subscription for ``salesperson``. The endpoint is the browser's: when a
    shared phone changes hands, it moves to the new user rather than pushing to the old one."""
    endpoint_check(endpoint)
    for key, limit in ((p256dh, 200), (auth, 64)):
        if not key or len(key) > limit:
            raise PushRefused("the browser's keys are missing")
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "dealer": salesperson.dealer,
            "salesperson": salesperson,
            "p256dh": p256dh,
            "auth": auth,
            "device": device[:120],
        },
    )
    return subscription


def _failure_reason(exc: Exception) -> tuple[int | None, str]:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return status, f"push service answered {status}"
    if isinstance(exc, requests.Timeout):
        return None, "push service did not answer in time"
    return None, f"push service unreachable ({type(exc).__name__})"


def push_send(*, subscription: PushSubscription, notice: PushNotice) -> PushOutcome:
    """Post one encrypted notice to one subscription. Network I/O: never inside a transaction."""
    if not push_enabled():
        return PushOutcome.FAILED
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=notice.payload(),
            vapid_private_key=_vapid(settings.LEADFLOW_VAPID_PRIVATE_KEY),
            vapid_claims={"sub": settings.LEADFLOW_VAPID_SUBJECT},
            ttl=PUSH_TTL_SECONDS,
            timeout=settings.LEADFLOW_PUSH_TIMEOUT_SECONDS,
            headers={"Urgency": "high", "Topic": notice.tag[:32]},
        )
    except (WebPushException, requests.RequestException, ValueError) as exc:
        status, reason = _failure_reason(exc)
        if status in (404, 410):
            log.info("push: subscription %s is gone, deleted", subscription.pk)
            subscription.delete()
            return PushOutcome.GONE
        log.warning("push: subscription %s failed: %s", subscription.pk, reason)
        subscription.mark_failed(reason)
        return PushOutcome.FAILED
    subscription.mark_delivered()
    return PushOutcome.SENT


def salesperson_push(*, salesperson: Salesperson, notice: PushNotice) -> int:
    """Push ``notice`` to every browser of ``salesperson``; how many it reached."""
    sent = 0
    for subscription in list(salesperson.push_subscriptions.all()):
        if push_send(subscription=subscription, notice=notice) is PushOutcome.SENT:
            sent += 1
    return sent
