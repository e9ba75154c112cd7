"""Twilio's voice callbacks (signed) and the sandbox page where a person plays the phones."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dealers.tenancy import get_scoped, staff_of
from followup import sandbox
from followup.channels import voice
from followup.models import Call
from followup.security import twilio_signed


def _twiml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml")


@twilio_signed
@require_POST
def voice_answer(request: HttpRequest, call_id: int) -> HttpResponse:
    return _twiml(voice.voice_answer(call_id=call_id, params=request.POST.dict()))


@twilio_signed
@require_POST
def voice_gather(request: HttpRequest, call_id: int) -> HttpResponse:
    return _twiml(voice.voice_gather(call_id=call_id, params=request.POST.dict()))


@twilio_signed
@require_POST
def voice_dial(request: HttpRequest, call_id: int) -> HttpResponse:
    return _twiml(voice.voice_dial_done(call_id=call_id, params=request.POST.dict()))


@twilio_signed
@require_POST
def voice_status(request: HttpRequest, call_id: int) -> HttpResponse:
    voice.voice_status(call_id=call_id, params=request.POST.dict())
    return HttpResponse(status=204)


@twilio_signed
@require_POST
def voice_customer(request: HttpRequest, call_id: int) -> HttpResponse:
    voice.voice_customer_status(call_id=call_id, params=request.POST.dict())
    return HttpResponse(status=204)


@login_required
def sandbox_page(request: HttpRequest) -> HttpResponse:
    """One view serves the page and its polled fragment (htmx)."""
    staff = staff_of(request)
    context = {"nav": "sandbox", **sandbox.board(dealer=staff.dealer)}
    if request.htmx:
        return render(request, "followup/_sandbox_phones.html", context)
    return render(request, "followup/sandbox.html", context)


@login_required
@require_POST
def sandbox_act(request: HttpRequest, call_id: int, action: str) -> HttpResponse:
    call = get_scoped(request, Call.objects.select_related("lead__dealer"), pk=call_id)
    if call.provider != "sandbox":
        raise Http404("not a sandbox call")
    try:
        seconds = max(0, min(int(request.POST.get("seconds") or 45), 3600))
    except ValueError:
        seconds = 45
    if not sandbox.act(call=call, action=action, seconds=seconds):
        raise Http404("no such action")
    if request.htmx:
        context = {"nav": "sandbox", **sandbox.board(dealer=call.dealer)}
        return render(request, "followup/_sandbox_phones.html", context)
    return redirect("followup:sandbox")
