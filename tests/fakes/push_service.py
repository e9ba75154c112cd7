"""A local Web Push service (what FCM, Mozilla's autopush and Apple's push service are to a
browser), for tests: it holds the browser side of each subscription and checks what a real
push service and browser would.

- the VAPID header (RFC 8292): ``Authorization: vapid t=<JWT>, k=<public key>``, the JWT
  signed ES256 by that key, ``aud`` this service's origin, ``exp`` within 24 hours, ``sub`` a
  mailto: or https: contact;
- the payload (RFC 8291/8188): ``Content-Encoding: aes128gcm``, decrypted with the
  subscription's private key and auth secret, as the browser would;
- a ``TTL`` header.

Anything wrong answers 400/401/403 like the real services. ``gone(sub)`` makes a subscription
answer 410 (the user uninstalled the app), ``fail_next(status)`` scripts an error.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


@dataclass
class Browser:
    """The browser's half of one subscription: the keys it decrypts with."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    # The applicationServerKey the page subscribed with: pushes signed by another key are refused.
    server_key: str

    def keys(self) -> dict[str, str]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": _b64encode(point), "auth": _b64encode(self.auth)}


@dataclass
class Delivery:
    token: str
    payload: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]


@dataclass
class FakePushService:
    server: ThreadingHTTPServer
    browsers: dict[str, Browser] = field(default_factory=dict)
    delivered: list[Delivery] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    _gone: set[str] = field(default_factory=set)
    _fail: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def subscription(self, server_key: str) -> dict[str, Any]:
        """A new browser subscribing with the server's ``applicationServerKey``: what
        PushManager.subscribe() hands the page."""
        browser = Browser(
            token=secrets.token_urlsafe(12),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=secrets.token_bytes(16),
            server_key=server_key,
        )
        self.browsers[browser.token] = browser
        return {"endpoint": f"{self.origin}/wpush/{browser.token}", "keys": browser.keys()}

    def subscribe(self, salesperson: Any, device: str = "Pixel 8") -> Any:
        """A salesperson's browser subscribing and the page handing it to LeadFlow."""
        from dealers.push import subscription_save, vapid_public_key

        sub = self.subscription(vapid_public_key())
        return subscription_save(
            salesperson=salesperson,
            endpoint=sub["endpoint"],
            p256dh=sub["keys"]["p256dh"],
            auth=sub["keys"]["auth"],
            device=device,
        )

    def gone(self, subscription: dict[str, Any]) -> None:
        self._gone.add(subscription["endpoint"].rsplit("/", 1)[1])

    def fail_next(self, status: int) -> None:
        self._fail.append(status)

    def payloads(self) -> list[dict[str, Any]]:
        return [d.payload for d in self.delivered]

    # --- the checks a push service and a browser make ---

    def _verify_vapid(self, header: str, browser: Browser) -> dict[str, Any]:
        if not header.startswith("vapid "):
            raise PermissionError(401, "Authorization is not vapid t=…, k=…")
        params = dict(
            part.strip().split("=", 1) for part in header[len("vapid ") :].split(",") if part
        )
        token, key = params.get("t", ""), params.get("k", "")
        if key != browser.server_key:
            raise PermissionError(403, "VAPID key is not the one the browser subscribed with")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64decode(key))
        head_b64, claims_b64, signature_b64 = token.split(".")
        head = json.loads(_b64decode(head_b64))
        if head.get("alg") != "ES256":
            raise PermissionError(401, f"JWT alg {head.get('alg')} is not ES256")
        raw = _b64decode(signature_b64)
        signature = encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        )
        try:
            public.verify(signature, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise PermissionError(403, "VAPID signature does not verify") from None
        claims = json.loads(_b64decode(claims_b64))
        now = time.time()
        if claims.get("aud") != self.origin:
            raise PermissionError(403, f"aud {claims.get('aud')} is not {self.origin}")
        if not now < claims.get("exp", 0) <= now + 24 * 3600:
            raise PermissionError(403, "exp is not within the next 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise PermissionError(403, "sub is not a mailto: or https: contact")
        return claims

    def receive(self, token: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        with self._lock:
            if self._fail:
                return self._fail.pop(0), "scripted failure"
        browser = self.browsers.get(token)
        if browser is None or token in self._gone:
            return 410, "subscription gone"
        try:
            claims = self._verify_vapid(headers.get("authorization", ""), browser)
        except PermissionError as exc:
            status, reason = exc.args
            return status, reason
        except (ValueError, KeyError) as exc:
            return 401, f"unreadable VAPID header: {exc}"
        if "ttl" not in headers:
            return 400, "TTL header missing"
        if headers.get("content-encoding") != "aes128gcm":
            return 400, "payload is not aes128gcm"
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            payload = json.loads(plain)
        except Exception as exc:  # the browser would drop it: so do we, loudly
            return 400, f"payload does not decrypt: {exc}"
        with self._lock:
            self.delivered.append(Delivery(token, payload, headers, claims))
        return 201, ""


def push_service_start() -> FakePushService:
    holder: dict[str, FakePushService] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            token = self.path.rsplit("/", 1)[-1]
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, reason = holder["fake"].receive(token, headers, body)
            if status >= 400:
                holder["fake"].refused.append((status, reason))
            self.send_response(status)
            self.send_header("Content-Length", str(len(reason)))
            self.end_headers()
            self.wfile.write(reason.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["fake"] = fake = FakePushService(server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake
