"""The notifications page: this salesperson's devices, turning push on, a test push per device."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealers.push import (
    PushNotice,
    PushOutcome,
    PushRefused,
    push_enabled,
    push_send,
    subscription_save,
    vapid_public_key,
)
from dealers.tenancy import get_scoped, staff_of


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    devices = list(staff.push_subscriptions.all())
    return render(
        request,
        "dealers/notifications.html",
        {
            "nav": "notifications",
            "devices": devices,
            "any_working": any(device.working for device in devices),
            "push_on": push_enabled(),
            "server_key": vapid_public_key(),
        },
    )


@login_required
@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    """What the page's script posts after PushManager.subscribe(): JSON, answered in JSON."""
    staff = staff_of(request)
    if not push_enabled():
        return JsonResponse(
            {"error": _("Push notifications are not set up on this server.")}, status=409
        )
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        subscription = subscription_save(
            salesperson=staff,
            endpoint=str(data.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
            device=str(data.get("device") or ""),
        )
    except (ValueError, AttributeError, PushRefused) as exc:
        return JsonResponse(
            {"error": str(exc) or _("The browser sent no subscription.")}, status=400
        )
    return JsonResponse({"id": subscription.pk}, status=201)


@login_required
@require_POST
def test_push(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_scoped(request, staff_of(request).push_subscriptions.all(), pk=pk)
    notice = PushNotice(
        title=_("LeadFlow test"),
        body=_("Notifications work on this device."),
        url="/me/notifications/",
        tag="test",
    )
    # Sent now, in the request, so the page can say at once whether it worked.
    outcome = push_send(subscription=subscription, notice=notice)
    if outcome is PushOutcome.SENT:
        messages.success(request, _("Test sent to %(device)s.") % {"device": subscription})
    elif outcome is PushOutcome.GONE:
        messages.error(
            request, _("This device has turned notifications off; it was removed from the list.")
        )
    else:
        messages.error(
            request,
            _("The test did not go out: %(reason)s.") % {"reason": subscription.last_failure},
        )
    return redirect("notifications")


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_scoped(request, staff_of(request).push_subscriptions.all(), pk=pk)
    subscription.delete()
    messages.success(request, _("The device gets no more notifications."))
    return redirect("notifications")
