from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from dealers.models import Dealer


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


class AdminTimezoneMiddleware:
    """The admin shows times in the dealer's time zone, as the product's pages do.

    A dealer's staff already see their dealer's zone (DealerTimezoneMiddleware, before this
    one). A superuser belongs to no dealer; on their admin pages the zone is that of the row
    being edited, else of the dealer the list is filtered by, else the one zone all dealers
    share. Only with dealers in several zones and no dealer in view does the admin stay in UTC.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None and not request.path.startswith(reverse("admin:index")):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or hasattr(user, "salesperson"):
            return None
        zone = _admin_zone(request, model_admin, view_kwargs.get("object_id"))
        if zone:
            timezone.activate(zone)
        return None


def _admin_zone(request: HttpRequest, model_admin, object_id: str | None) -> str | None:
    if model_admin is not None and object_id:
        model = model_admin.model
        rows = model._default_manager.filter(pk=object_id)
        if model is Dealer:
            zone = rows.values_list("time_zone", flat=True).first()
        elif any(f.name == "dealer" for f in model._meta.get_fields()):
            zone = rows.values_list("dealer__time_zone", flat=True).first()
        else:
            zone = None
        if zone:
            return zone
    dealer_id = request.GET.get("dealer__id__exact") or request.GET.get("dealer__exact")
    if dealer_id and dealer_id.isdigit():
        zone = Dealer.objects.filter(pk=dealer_id).values_list("time_zone", flat=True).first()
        if zone:
            return zone
    zones = list(Dealer.objects.values_list("time_zone", flat=True).distinct()[:2])
    return zones[0] if len(zones) == 1 else None
