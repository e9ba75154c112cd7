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


@dataclass(frozen=True)
class LegSearch:
    """What the provider knows of a leg whose create went unanswered."""

    # The SID of the call proven to be this leg's (its requests name the leg's callback URL).
    sid: str | None = None
    # Calls to the same number since the claim that could not be proven to be this leg's.
    unproven: int = 0


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

    def find_leg(self, *, to: str, from_number: str, since: dt.datetime, leg_url: str) -> LegSearch:
        """Look for the call a create whose answer was lost may have made: only a call whose
        webhook requests name ``leg_url`` (unique to the leg) is this leg's. Raises
        ProviderError."""

    def hang_up(self, sid: str) -> None:
        """End a call that is still ringing or in progress (best effort)."""
