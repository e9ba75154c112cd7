"""Dealers' secrets at rest: encrypted with keys from the environment, or hashed.

``LEADFLOW_SECRET_KEYS`` holds Fernet keys, newest first (``python -c "from cryptography.fernet
import Fernet; print(Fernet.generate_key().decode())"``); the first encrypts, every one decrypts,
so keys rotate by putting a new one in front. Unset, one key is derived from ``SECRET_KEY``.
A database dump alone then reveals no webhook secret or page token.

Secrets LeadFlow only compares (the Google key, the Meta verify token) are kept as SHA-256 digests:
they are random strings chosen for one purpose, so a fast digest compared in constant time is
enough and nothing can be decrypted at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """Stored with a key that is no longer configured."""


@lru_cache(maxsize=4)
def _box(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(b"leadflow-secrets:" + secret_key.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def box() -> MultiFernet:
    return _box(tuple(settings.LEADFLOW_SECRET_KEYS), settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    return box().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "encrypted with a key LEADFLOW_SECRET_KEYS no longer holds"
        ) from None


def digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest() if plain else ""


def digest_matches(stored: str, offered: str) -> bool:
    """An empty secret on either side never matches: nothing was set up."""
    return bool(stored) and bool(offered) and hmac.compare_digest(stored, digest(offered))
