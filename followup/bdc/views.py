from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from dealers.models import Salesperson
from dealers.tenancy import staff_of
from followup.bdc.worklist import worklist
from leadflow.lib.htmx import HtmxHttpRequest

# Who works the BDC's list: its agents, and the managers who stand in for them.
WORKLIST_ROLES = (Salesperson.Role.BDC, Salesperson.Role.MANAGER)


def bdc_worklist(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_authenticated and request.htmx:
        # A poll after the session ended: send the whole page to sign-in, not just the list.
        return HttpResponseClientRedirect(f"{reverse('login')}?next={reverse('bdc-worklist')}")
    return _bdc_worklist(request)


@login_required
def _bdc_worklist(request: HtmxHttpRequest) -> HttpResponse:
    staff = staff_of(request)
    if staff.role not in WORKLIST_ROLES:
        raise Http404("the BDC's worklist")
    now = timezone.now()
    sections = worklist(dealer=staff.dealer, now=now)
    context = {
        "nav": "bdc",
        "staff": staff,
        "sections": sections,
        "now": now,
        "empty": not any(section.rows for section in sections),
    }
    if request.htmx and request.htmx.target == "bdc-list":
        return render(request, "followup/_bdc_list.html", context)
    return render(request, "followup/bdc.html", context)
