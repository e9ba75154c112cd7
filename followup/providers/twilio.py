from __future__ import annotations

import contextlib
import datetime as dt
import email.utils

from twilio.base.exceptions import TwilioException

from followup.providers.base import CallRequest, ProviderError
from followup.twilio_client import classify_twilio_error, twilio_client, twilio_error_code

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


def _error(exc: Exception) -> ProviderError:
    code = twilio_error_code(exc)
    prefix = f"Twilio {code}: " if code else f"{type(exc).__name__}: "
    return ProviderError(classify_twilio_error(exc), (prefix + str(exc))[:300], str(code or ""))


class TwilioVoice:
    name = "twilio"

    def create_call(self, request: CallRequest) -> str:
        try:
            call = twilio_client().calls.create(
                to=request.to,
                from_=request.from_number,
                url=request.url,
                method="POST",
                status_callback=request.status_callback,
                status_callback_method="POST",
                status_callback_event=STATUS_EVENTS,
                timeout=request.timeout,
                # A voicemail box that answers is not the salesperson: AnsweredBy tells.
                machine_detection="Enable",
            )
        except (TwilioException, OSError, ValueError) as exc:
            raise _error(exc) from exc
        return call.sid

    def find_call(self, *, to: str, from_number: str, since: dt.datetime) -> str | None:
        try:
            calls = twilio_client().calls.list(to=to, from_=from_number, limit=20)
        except (TwilioException, OSError, ValueError) as exc:
            raise _error(exc) from exc
        for call in calls:
            created = call.date_created
            if isinstance(created, str):
                created = email.utils.parsedate_to_datetime(created)
            # Twilio's dates have whole seconds: allow the second the claim was made in.
            if created is None or created >= since - dt.timedelta(seconds=1):
                return call.sid
        return None

    def hang_up(self, sid: str) -> None:
        with contextlib.suppress(TwilioException, OSError, ValueError):
            twilio_client().calls(sid).update(status="completed")
