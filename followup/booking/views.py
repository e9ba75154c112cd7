"""The customer's booking page: no sign-in, the signed link is the authority.

Plain HTML forms and CSS, no scripts: it works on any phone and under the site's strict CSP.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.views.decorators.http import require_GET, require_http_methods

from followup.booking.ics import appointment_ics
from followup.booking.links import LinkExpired, LinkInvalid, lead_id_from_token
from followup.booking.models import Booking
from followup.booking.services import (
    BookingClosed,
    SlotTaken,
    booking_confirm,
    booking_create,
    callback_request,
    customer_language,
)
from followup.booking.slots import (
    Slot,
    calendar_owner,
    callback_times,
    free_slots,
    parse_key,
    slot_length,
)
from leads.models import Lead
from leads.offers import vehicle_offer

LANGUAGES = dict(settings.LANGUAGES)


def _lead(token: str) -> tuple[Lead | None, str]:
    """The link's lead and "" — or None and why not ("expired", "invalid")."""
    try:
        lead_id = lead_id_from_token(token)
    except LinkExpired:
        lead_id, problem = lead_id_from_token(token, any_age=True), "expired"
    except LinkInvalid:
        return None, "invalid"
    else:
        problem = ""
    lead = Lead.objects.select_related("dealer", "assigned_to__user").filter(pk=lead_id).first()
    # An erased customer's link leads nowhere, like a forged one.
    return (lead, problem) if lead is not None else (None, "invalid")


def _language(request: HttpRequest, lead: Lead | None) -> str:
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    if lead is None:
        return translation.get_language_from_request(request)
    return customer_language(lead)


def _link_problem(request: HttpRequest, lead: Lead | None, problem: str) -> HttpResponse:
    """A friendly page for a link that does not (or no longer) work: whom to call instead."""
    with translation.override(_language(request, lead)):
        return render(
            request,
            "followup/booking/link_problem.html",
            {"problem": problem, "dealer": lead.dealer if lead else None, "lang": None},
            status=410 if problem == "expired" else 404,
        )


# django-csp's decorator is typed for views without URL arguments.
@csp_update({"img-src": ["https:"]})  # type: ignore[arg-type]
@require_http_methods(["GET", "POST"])
def booking_page(request: HttpRequest, token: str) -> HttpResponse:
    lead, problem = _lead(token)
    if lead is None or problem:
        return _link_problem(request, lead, problem)
    language = _language(request, lead)
    with translation.override(language), timezone.override(lead.dealer.tz):
        if request.method == "POST":
            return _book(request, token, lead, language)
        return _page(request, token, lead, language)


def _book(request: HttpRequest, token: str, lead: Lead, language: str) -> HttpResponse:
    action = request.POST.get("action")
    at = parse_key(request.POST.get("slot" if action == "book" else "at", ""))
    kind = request.POST.get("kind", Booking.Kind.TEST_DRIVE)
    if action not in ("book", "callback") or at is None or kind not in Booking.Kind.values:
        return _page(request, token, lead, language, error="missing", status=400)
    try:
        if action == "book":
            if kind == Booking.Kind.CALLBACK:
                return _page(request, token, lead, language, error="missing", status=400)
            booking = booking_create(lead_id=lead.pk, starts_at=at, kind=kind)
        else:
            booking = callback_request(lead_id=lead.pk, at=at)
    except SlotTaken:
        lead.refresh_from_db()
        return _page(request, token, lead, language, error="taken", status=409)
    except BookingClosed:
        return _page(request, token, lead, language, error="closed", status=409)
    # Committed: now the confirmation and the salesperson's notice may be queued.
    booking_confirm(booking_id=booking.pk)
    url = reverse("booking-page", args=[token]) + f"?lang={language}&done={booking.kind}"
    return redirect(url)


def _page(
    request: HttpRequest,
    token: str,
    lead: Lead,
    language: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    closed = lead.status == Lead.Status.SOLD
    slots = [] if closed else free_slots(lead=lead, now=now)
    days = [
        (day, list(group))
        for day, group in groupby(slots, key=lambda s: timezone.localtime(s.starts_at).date())
    ]
    callbacks = [] if closed else [Slot(at, at) for at in callback_times(lead=lead, now=now)]
    callback_days = [
        (day, list(group))
        for day, group in groupby(callbacks, key=lambda s: timezone.localtime(s.starts_at).date())
    ]
    booked = lead.bookings.holding_time().filter(ends_at__gt=now).first()
    callback = (
        lead.bookings.filter(
            kind=Booking.Kind.CALLBACK, status=Booking.Status.BOOKED, starts_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )
    person = calendar_owner(lead)
    context = {
        "booked_day": _day(booked.starts_at) if booked else "",
        "callback_day": _day(callback.starts_at) if callback else "",
        "token": token,
        "lead": lead,
        "dealer": lead.dealer,
        "person": person,
        "offer": vehicle_offer(lead=lead),
        "days": days,
        "callback_days": callback_days,
        "booked": booked,
        "callback": callback,
        "closed": closed,
        "error": error,
        "done": request.GET.get("done", ""),
        "kind": request.POST.get("kind") or Booking.Kind.TEST_DRIVE,
        "slot_minutes": int(slot_length().total_seconds() // 60),
        "lang": language,
        "languages": [(code, name) for code, name in LANGUAGES.items() if code != language],
    }
    return render(request, "followup/booking/page.html", context, status=status)


def _day(at: dt.datetime) -> str:
    """ "Mittwoch, 25. November 2026" / "Wednesday, Nov. 25, 2026" in the active language."""
    local = timezone.localtime(at)
    return f"{formats.date_format(local, 'l')}, {formats.date_format(local, 'DATE_FORMAT')}"


@require_GET
def booking_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The booked appointment for the customer's calendar ("add to calendar")."""
    lead, problem = _lead(token)
    if lead is None or problem:
        return _link_problem(request, lead, problem)
    booking = lead.bookings.holding_time().order_by("-created_at").first()
    if booking is None:
        return _link_problem(request, lead, "nothing")
    body = appointment_ics(
        lead=lead,
        starts_at=booking.starts_at,
        minutes=int((booking.ends_at - booking.starts_at) / dt.timedelta(minutes=1)),
        kind=booking.kind,
        language=_language(request, lead),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response
