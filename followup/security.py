"""Provider callbacks are accepted only with a valid signature."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator


def public_url_of(request: HttpRequest) -> str:
    """The URL Twilio requested, as the outside world sees it.

    Behind a TLS-terminating proxy Django sees http://internal-host/...; Twilio signed
    https://public-host/..., so the signature is checked against LEADFLOW_PUBLIC_URL.
    """
    return settings.LEADFLOW_PUBLIC_URL + request.get_full_path()


def twilio_signature_valid(request: HttpRequest) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    params: dict[str, str | list[str]] = {}
    if request.method == "POST":
        for key in request.POST:
            values = request.POST.getlist(key)
            params[key] = values[0] if len(values) == 1 else values
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(public_url_of(request), params, signature)


def twilio_signed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for any request not signed by Twilio with our auth token."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not twilio_signature_valid(request):
            return HttpResponseForbidden("invalid or missing X-Twilio-Signature")
        return view(request, *args, **kwargs)

    return wrapper
