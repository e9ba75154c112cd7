"""The sandbox voice provider: nothing leaves the machine; the call rows are the record.

A person plays the phones on /sandbox/ (followup.sandbox), which drives the same service
functions Twilio's callbacks drive, with the parameters Twilio would send.
"""

from __future__ import annotations

import datetime as dt
import secrets

from followup.providers.base import CallRequest, LegSearch


class SandboxVoice:
    name = "sandbox"

    def create_call(self, request: CallRequest) -> str:
        return "SB" + secrets.token_hex(16)

    def find_leg(self, *, to: str, from_number: str, since: dt.datetime, leg_url: str) -> LegSearch:
        # The sandbox "creates" a call without I/O: a call without SID was never created.
        return LegSearch()

    def hang_up(self, sid: str) -> None:
        return None
