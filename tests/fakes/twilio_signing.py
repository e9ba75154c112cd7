"""Sign webhook requests the way Twilio does, for posting callbacks to the app in tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator


class _MultiParams(dict[str, list[str]]):
    # RequestValidator reads repeated parameters through getlist() (as on Django's
    # QueryDict); a plain dict value would be taken as one string.
    def getlist(self, name: str) -> list[str]:
        return self[name]


def _as_lists(params: Mapping[str, Any]) -> _MultiParams:
    return _MultiParams(
        {
            name: [str(v) for v in value]
            if isinstance(value, Sequence) and not isinstance(value, str | bytes)
            else [str(value)]
            for name, value in params.items()
        }
    )


def twilio_signature(auth_token: str, url: str, params: Mapping[str, Any]) -> str:
    """X-Twilio-Signature for a form POST of ``params`` to the full public ``url``.

    Values may be strings (or str()-able) or lists of them for repeated parameters.
    """
    return RequestValidator(auth_token).compute_signature(url, _as_lists(params))


def signed_post(
    client: Any,
    url_path: str,
    params: Mapping[str, Any],
    *,
    public_url: str,
    auth_token: str,
    **extra: Any,
) -> Any:
    """POST ``params`` form-encoded to ``url_path`` with Django's test ``client``, signed as
    Twilio signs it: over ``public_url + url_path`` (e.g. LEADFLOW_PUBLIC_URL), the URL
    Twilio called, not the one the app sees behind the TLS proxy.

    ``extra`` goes to ``client.post`` (e.g. HTTP_X_TWILIO_SIGNATURE="bad" to override).
    """
    url = public_url.rstrip("/") + url_path
    lists = _as_lists(params)
    extra.setdefault("HTTP_X_TWILIO_SIGNATURE", twilio_signature(auth_token, url, lists))
    extra.setdefault("HTTP_USER_AGENT", "TwilioProxy/1.1")
    # Twilio posts application/x-www-form-urlencoded; Django's test client would default to
    # multipart, which the app never receives from Twilio.
    return client.post(
        url_path,
        data=urlencode(list(_flatten(lists)), doseq=False),
        content_type="application/x-www-form-urlencoded",
        **extra,
    )


def _flatten(params: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in params.items() for value in values]
