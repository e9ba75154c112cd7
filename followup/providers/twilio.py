from __future__ import annotations

import contextlib
import datetime as dt
import email.utils

from twilio.base.exceptions import TwilioException

from followup.providers.base import CallRequest, LegSearch, ProviderError
from followup.twilio_client import classify_twilio_error, twilio_client, twilio_error_code

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


def _error(exc: Exception) -> ProviderError:
    code = twilio_error_code(exc)
    prefix = f"Twilio {code}: " if code else f"{type(exc).__name__}: "
    return ProviderError(classify_twilio_error(exc), (prefix + str(exc))[:300], str(code or ""))


def _created_since(call: object, since: dt.datetime) -> bool:
    created = getattr(call, "date_created", None)
    if isinstance(created, str):
        created = email.utils.parsedate_to_datetime(created)
    # Twilio's dates have whole seconds: allow the second the claim was made in.
    return created is None or created >= since - dt.timedelta(seconds=1)


def _requested_url(event: object) -> str:
    request = getattr(event, "request", None)
    return str(request.get("url") or "") if isinstance(request, dict) else ""


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

    def find_leg(self, *, to: str, from_number: str, since: dt.datetime, leg_url: str) -> LegSearch:
        try:
            calls = twilio_client().calls.list(to=to, from_=from_number, limit=20)
            unproven = 0
            for call in calls:
                if not _created_since(call, since):
                    continue
                # The call's webhook requests (Call Events) carry the URLs LeadFlow gave it;
                # the status callback URL names the leg, so this proves whose call it is.
                # To/From/time alone would adopt another lead's call to the same salesperson.
                urls = {
                    _requested_url(e) for e in twilio_client().calls(call.sid).events.list(limit=20)
                } - {""}
                if leg_url in urls:
                    return LegSearch(sid=call.sid)
                if not urls:
                    unproven += 1  # no request made yet: it could still be this leg's
        except (TwilioException, OSError, ValueError) as exc:
            raise _error(exc) from exc
        return LegSearch(unproven=unproven)

    def hang_up(self, sid: str) -> None:
        with contextlib.suppress(TwilioException, OSError, ValueError):
            twilio_client().calls(sid).update(status="completed")
