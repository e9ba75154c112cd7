from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class DealerTimezoneMiddleware:
    """Show every date in the signed-in user's dealer's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        staff = (
            getattr(getattr(request, "user", None), "salesperson", None)
            if (request.user.is_authenticated)
            else None
        )
        if staff is not None:
            timezone.activate(staff.dealer.tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
