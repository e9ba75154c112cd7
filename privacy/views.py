"""The manager's privacy pages: find a person, export their data, erase them; a lead's access log.

The person is always sent by POST, so their phone number and address never appear in a URL
(and so in no proxy's or server's access log).
"""

from __future__ import annotations

import json
from typing import Any

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealers.models import Salesperson
from dealers.tenancy import get_scoped, staff_of
from followup.models import Attempt, Call, InboundMessage, OutboundMessage
from leads.models import AccessLog, IntakeRecord, Lead, LeadEvent
from privacy.erase import person_erase
from privacy.export import as_json, person_export
from privacy.forms import EraseForm, PersonForm
from privacy.identity import Person, PersonUnknown
from privacy.models import ErasureReceipt


def manager_of(request: HttpRequest) -> Salesperson:
    staff = staff_of(request)
    if staff.role != Salesperson.Role.MANAGER:
        raise PermissionDenied(_("Only managers can export or erase a person's data."))
    return staff


def _person(staff: Salesperson, form: PersonForm) -> Person | None:
    try:
        return Person.of(
            dealer=staff.dealer, phone=form.cleaned_data["phone"], email=form.cleaned_data["email"]
        )
    except PersonUnknown as exc:
        form.add_error(None, str(exc))
        return None


def _preview(staff: Salesperson, person: Person) -> dict[str, Any]:
    """What an erasure would remove: named, so the manager confirms knowing it."""
    dealer = staff.dealer
    match = Q()
    if person.phone:
        match |= Q(phone=person.phone)
    if person.email:
        match |= Q(email=person.email)
    leads = list(
        Lead.objects.filter(dealer=dealer).filter(match).select_related("assigned_to__user")
    )
    ids = [lead.pk for lead in leads]
    inbound = InboundMessage.objects.filter(
        Q(lead_id__in=ids) | Q(dealer=dealer, sender__in=person.senders)
    )
    counts = [
        (_("Timeline entries"), LeadEvent.objects.filter(lead_id__in=ids).count()),
        (_("Call and message attempts"), Attempt.objects.filter(lead_id__in=ids).count()),
        (_("Call legs"), Call.objects.filter(lead_id__in=ids).count()),
        (_("Messages sent"), OutboundMessage.objects.filter(lead_id__in=ids).count()),
        (_("Replies received (also unmatched)"), inbound.count()),
        (
            _("Webhook requests (body and headers)"),
            IntakeRecord.objects.filter(lead_id__in=ids).count(),
        ),
    ]
    return {"leads": leads, "counts": counts}


@login_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest) -> HttpResponse:
    """Find a person by phone and/or email: what is held, with export and erase buttons."""
    staff = manager_of(request)
    form = PersonForm(request.POST or None)
    if request.method == "GET" and request.GET.get("lead"):
        lead = get_scoped(request, Lead.objects.all(), pk=request.GET["lead"])
        form = PersonForm(initial={"phone": lead.phone, "email": lead.email})
    context: dict[str, Any] = {"nav": "privacy", "form": form}
    if request.method == "POST" and form.is_valid():
        found = _person(staff, form)
        if found is not None:
            context.update(_preview(staff, found), person=found, erase_form=EraseForm())
            AccessLog.record(
                dealer_id=staff.dealer_id,
                user=request.user,
                action=AccessLog.Action.SEARCH,
                detail={"leads": [lead.pk for lead in context["leads"]]},
            )
    context["receipts"] = ErasureReceipt.objects.filter(dealer=staff.dealer)[:10]
    return render(request, "privacy/person.html", context)


@login_required
@require_POST
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    staff = manager_of(request)
    if fmt not in ("json", "html"):
        raise Http404("no such format")
    form = PersonForm(request.POST)
    found = _person(staff, form) if form.is_valid() else None
    if found is None:
        return render(request, "privacy/person.html", {"nav": "privacy", "form": form}, status=400)
    data = person_export(dealer=staff.dealer, person=found)
    for lead in data["leads"] or [{"id": None}]:
        AccessLog.record(
            dealer_id=staff.dealer_id,
            user=request.user,
            action=AccessLog.Action.EXPORT,
            lead_id=lead["id"],
            detail={"format": fmt},
        )
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2, default=as_json),
            content_type="application/json; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.json"'
        return response
    return render(request, "privacy/export.html", {"nav": "privacy", "data": data})


@login_required
@require_POST
def erase(request: HttpRequest) -> HttpResponse:
    staff = manager_of(request)
    person_form = PersonForm(request.POST)
    form = EraseForm(request.POST)
    found = _person(staff, person_form) if person_form.is_valid() else None
    if found is None or not form.is_valid():
        context: dict[str, Any] = {"nav": "privacy", "form": person_form, "erase_form": form}
        if found is not None:
            context.update(_preview(staff, found), person=found)
        return render(request, "privacy/person.html", context, status=400)
    receipt = person_erase(
        dealer=staff.dealer, phone=found.phone, email=found.email, by=request.user, via="page"
    )
    messages.success(request, _("The person's data was erased."))
    return redirect("privacy-receipt", pk=receipt.pk)


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    manager_of(request)
    found = get_scoped(request, ErasureReceipt.objects.all(), pk=pk)
    return render(request, "privacy/receipt.html", {"nav": "privacy", "receipt": found})


@login_required
@require_GET
def lead_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Who looked at this lead and what the admin changed on it (managers)."""
    staff = manager_of(request)
    lead = get_scoped(request, Lead.objects.all(), pk=pk)
    AccessLog.record(
        dealer_id=staff.dealer_id, user=request.user, action=AccessLog.Action.AUDIT, lead_id=lead.pk
    )
    reads = AccessLog.objects.filter(lead=lead).select_related("user")[:200]
    changes = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk
        )
        .select_related("actor")
        .order_by("-timestamp")[:200]
    )
    return render(
        request,
        "privacy/lead_audit.html",
        {"nav": "queue", "lead": lead, "reads": reads, "changes": changes},
    )
