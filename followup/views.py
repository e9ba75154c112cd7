"""Twilio's voice callbacks (signed) and the sandbox page where a person plays the phones."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dealers.models import Salesperson
from dealers.tenancy import staff_of
from followup import sandbox
from followup.security import twilio_signed
from followup.voice import callbacks, twiml
from leadflow.lib.htmx import HtmxHttpRequest


def _twiml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml")


@twilio_signed
@require_POST
def voice_answer(request: HttpRequest, call_id: int) -> HttpResponse:
    return _twiml(twiml.voice_answer(call_id=call_id, params=request.POST.dict()))


@twilio_signed
@require_POST
def voice_gather(request: HttpRequest, call_id: int) -> HttpResponse:
    return _twiml(twiml.voice_gather(call_id=call_id, params=request.POST.dict()))


@twilio_signed
@require_POST
def voice_dial(request: HttpRequest, call_id: int) -> HttpResponse:
    return _twiml(twiml.voice_dial_done(call_id=call_id, params=request.POST.dict()))


@twilio_signed
@require_POST
def voice_status(request: HttpRequest, call_id: int) -> HttpResponse:
    callbacks.voice_status(call_id=call_id, params=request.POST.dict())
    return HttpResponse(status=204)


@twilio_signed
@require_POST
def voice_customer(request: HttpRequest, call_id: int) -> HttpResponse:
    callbacks.voice_customer_status(call_id=call_id, params=request.POST.dict())
    return HttpResponse(status=204)


def sandbox_staff(request: HttpRequest) -> Salesperson:
    """The sandbox exists only while the providers are the sandbox: with Twilio its buttons
    would forge the provider's callbacks on real calls."""
    if settings.LEADFLOW_PROVIDERS != "sandbox":
        raise Http404("the sandbox is off")
    return staff_of(request)


@login_required
def sandbox_page(request: HtmxHttpRequest) -> HttpResponse:
    """One view serves the page and its polled fragment (htmx)."""
    staff = sandbox_staff(request)
    context = {"nav": "sandbox", **sandbox.board(staff=staff)}
    if request.htmx:
        return render(request, "followup/_sandbox_phones.html", context)
    return render(request, "followup/sandbox.html", context)


@login_required
@require_POST
def sandbox_act(request: HtmxHttpRequest, call_id: int, action: str) -> HttpResponse:
    staff = sandbox_staff(request)
    call = sandbox.calls_of(staff).select_related("lead__dealer").filter(pk=call_id).first()
    if call is None:
        raise Http404("not one of your sandbox calls")
    try:
        seconds = max(0, min(int(request.POST.get("seconds") or 45), 3600))
    except ValueError:
        seconds = 45
    if not sandbox.act(call=call, action=action, seconds=seconds):
        raise Http404("no such action")
    if request.htmx:
        context = {"nav": "sandbox", **sandbox.board(staff=staff)}
        return render(request, "followup/_sandbox_phones.html", context)
    return redirect("followup:sandbox")
