"""Twilio's message callbacks, the unsubscribe link, and the sandbox's customer side."""

from __future__ import annotations

import secrets

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from followup import sandbox
from followup.channels.email import lead_id_from_unsubscribe_token, reply_address
from followup.channels.sms_inbound import sms_inbound
from followup.channels.templates import language_of
from followup.conversation import bubbles, shown_outbound
from followup.models import InboundMessage, OutboundMessage
from followup.outbox import message_status_update
from followup.policy.optout import lead_opt_out
from followup.replies import email_inbound, whatsapp_inbound
from followup.security import twilio_signed
from followup.twilio_client import PERMANENT_CODES
from followup.views import sandbox_staff
from leadflow.lib.htmx import HtmxHttpRequest
from leads.models import Lead

Status = OutboundMessage.Status
# Twilio's MessageStatus values we act on; accepted/queued/scheduled add nothing.
TWILIO_STATUS = {
    "sending": Status.SENDING,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.READ,
    "failed": Status.FAILED,
    "undelivered": Status.UNDELIVERED,
}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@twilio_signed
@require_POST
def twilio_message_status(request: HttpRequest) -> HttpResponse:
    sid = request.POST.get("MessageSid", "")
    ours = request.GET.get("m", "")
    texts = OutboundMessage.objects.exclude(channel=OutboundMessage.Channel.EMAIL)
    texts = texts.select_related("lead__dealer", "sent_by")
    message = texts.filter(pk=int(ours)).first() if ours.isdigit() and len(ours) < 19 else None
    if message is not None and sid and message.provider_sid not in ("", sid):
        message = None
    if message is None and sid:
        message = texts.filter(provider_sid=sid).first()
    status = TWILIO_STATUS.get(request.POST.get("MessageStatus", ""))
    if message is None or status is None:
        # Not ours, or nothing to record: still 204, or Twilio retries for nothing.
        return HttpResponse(status=204)
    if sid and not message.provider_sid:
        OutboundMessage.objects.filter(pk=message.pk, provider_sid="").update(provider_sid=sid)
    code = request.POST.get("ErrorCode", "")
    reason = request.POST.get("ErrorMessage", "") or (
        PERMANENT_CODES.get(int(code), f"Twilio error {code}") if code.isdigit() else ""
    )
    message_status_update(message=message, status=status, code=code, reason=reason)
    return HttpResponse(status=204)


@twilio_signed
@require_POST
def twilio_message_inbound(request: HttpRequest) -> HttpResponse:
    whatsapp_inbound(
        sender=request.POST.get("From", ""),
        recipient=request.POST.get("To", ""),
        text=request.POST.get("Body", ""),
        sid=request.POST.get("MessageSid", ""),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


# The token is the authority here (it is in the customer's email), not a session: RFC 8058's
# one-click POST comes from the mail provider without cookies or a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    lead_id = lead_id_from_unsubscribe_token(token)
    lead = Lead.objects.select_related("dealer").filter(pk=lead_id).first() if lead_id else None
    if lead is None:
        raise Http404("unknown unsubscribe link")
    with translation.override(language_of(lead)):
        if request.method == "POST":
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            lead_opt_out(lead=lead, via="email_one_click" if one_click else "email_link")
            return render(request, "followup/messages/unsubscribed.html", {"dealer": lead.dealer})
        return render(
            request,
            "followup/messages/unsubscribe.html",
            {"dealer": lead.dealer, "lead": lead, "done": lead.opted_out},
        )


SANDBOX_CONVERSATIONS = 20
SANDBOX_MESSAGES = 200


@login_required
def sandbox_messages(request: HtmxHttpRequest) -> HttpResponse:
    """The customers' side of the sandbox: what their phones and inboxes received."""
    staff = sandbox_staff(request)
    leads = sandbox.leads_of(staff)
    outbound = (
        shown_outbound(OutboundMessage.objects.filter(dealer=staff.dealer_id, lead__in=leads))
        .select_related("lead")
        .order_by("-created_at", "-id")[:SANDBOX_MESSAGES]
    )
    inbound = (
        InboundMessage.objects.filter(dealer=staff.dealer_id, lead__in=leads)
        .select_related("lead")
        .order_by("-received_at", "-id")[:SANDBOX_MESSAGES]
    )
    people: dict[int, Lead] = {}
    sent: dict[int, list[OutboundMessage]] = {}
    received: dict[int, list[InboundMessage]] = {}
    for out in outbound:
        people[out.lead_id] = out.lead
        sent.setdefault(out.lead_id, []).append(out)
    for reply in inbound:
        if reply.lead is not None:
            people[reply.lead.pk] = reply.lead
            received.setdefault(reply.lead.pk, []).append(reply)
    threads = [
        (lead, bubbles(sent.get(pk, []), received.get(pk, []))) for pk, lead in people.items()
    ]
    threads.sort(key=lambda thread: thread[1][-1].at, reverse=True)
    context = {
        "conversations": [
            {"lead": lead, "items": items} for lead, items in threads[:SANDBOX_CONVERSATIONS]
        ],
        "can_reply": True,
        # Every lead here is the user's dealer's: its SMS number says whether SMS is played.
        "sms_reply": bool(staff.dealer.sms_sender),
        "nav": "sandbox",
    }
    if request.htmx:
        return render(request, "followup/sandbox_messages.html", context)
    return render(request, "followup/messages/sandbox_page.html", context)


@login_required
@require_POST
def sandbox_reply(request: HtmxHttpRequest) -> HttpResponse:
    """Reply as the customer, through the same handler as Twilio's and anymail's webhooks."""
    staff = sandbox_staff(request)
    lead_id = request.POST.get("lead", "")
    if not lead_id.isdigit():
        raise Http404
    lead = sandbox.leads_of(staff).select_related("dealer").filter(pk=int(lead_id)).first()
    if lead is None:
        raise Http404("not one of your leads")
    text = request.POST.get("text", "").strip()
    channel = request.POST.get("channel", "")
    if text and channel == OutboundMessage.Channel.WHATSAPP and lead.phone:
        whatsapp_inbound(
            sender="whatsapp:" + lead.phone,
            recipient="whatsapp:" + lead.dealer.whatsapp_sender,
            text=text,
            sid="SB" + secrets.token_hex(16),
        )
    elif text and channel == OutboundMessage.Channel.SMS and lead.phone:
        sms_inbound(
            sender=lead.phone,
            recipient=lead.dealer.sms_sender,
            text=text,
            sid="SB" + secrets.token_hex(16),
        )
    elif text and channel == OutboundMessage.Channel.EMAIL and lead.email:
        email_inbound(
            recipients=[reply_address(lead)],
            sender=lead.email,
            text=text,
            message_id=f"<{secrets.token_hex(16)}@sandbox>",
        )
    if request.htmx:
        return sandbox_messages(request)
    return redirect("sandbox-messages")
