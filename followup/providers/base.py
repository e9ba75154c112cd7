from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CallRequest:
    to: str
    from_number: str
    url: str
    status_callback: str
    timeout: int = 20


class ProviderError(Exception):
    """A failed provider request, classified as "transient", "permanent" or "unknown"."""

    def __init__(self, kind: str, message: str, code: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        # The provider's own error code ("21211"), or "" (timeouts, refused connections).
        self.code = code


class VoiceProvider(Protocol):
    name: str

    def create_call(self, request: CallRequest) -> str:
        """Start the call; the provider's call SID. Raises ProviderError."""

    def find_call(self, *, to: str, from_number: str, since: dt.datetime) -> str | None:
        """The SID of a call to ``to`` created since ``since``, for a create whose answer was
        lost. Raises ProviderError."""

    def hang_up(self, sid: str) -> None:
        """End a call that is still ringing or in progress (best effort)."""
