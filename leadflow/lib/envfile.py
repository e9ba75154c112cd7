"""The checkout's .env: written once by `make run` with a fresh SECRET_KEY and the demo defaults.

Settings read it with python-dotenv (the environment wins), so ``manage.py`` commands in the
same checkout work without exporting anything. ``.env.example`` stays the documented list.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

HEADER = """\
# Written by `make run` on first use: this checkout's settings (git-ignored, keep it private).
# The environment wins over this file; .env.example documents every variable.
"""


def vapid_private_key_new() -> str:
    """A fresh VAPID private key, base64url of the raw 32-byte P-256 scalar (py_vapid's form)."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def env_file_path(root: Path) -> Path:
    return Path(os.environ.get("LEADFLOW_ENV_FILE") or root / ".env")


def env_file_ensure(path: Path, *, demo_token: str = "") -> bool:
    """Write ``path`` with a generated SECRET_KEY and the demo defaults unless it exists.

    True when it was written now. An existing file (``make run`` before, or the operator's own)
    is never touched.
    """
    if path.exists():
        return False
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "1",
        "LEADFLOW_PROVIDERS": "sandbox",
        "LEADFLOW_DEMO_PASSWORD": "demo",
        "LEADFLOW_DEMO_TOKEN": demo_token or "lf_demo_" + secrets.token_urlsafe(24),
        "LEADFLOW_VAPID_PRIVATE_KEY": vapid_private_key_new(),
    }
    body = HEADER + "".join(f"{key}={value}\n" for key, value in values.items())
    # Created private (0600) and exclusively: two `make run`s racing cannot mix two keys.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(body)
    return True
