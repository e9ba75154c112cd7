"""What the engine pushes to staff's phones, and to whom.

A new lead assigned to me, a lead re-offered to me, a customer's reply and an escalation to the
BDC. Each notice opens the lead; its tag makes a repeat replace the first on the phone instead
of stacking, so a retried task never shows twice. Texts are in the dealer's language, like the
reply email. Push comes beside the call, never instead of it (``dealers/push.py``).
"""

from __future__ import annotations

import enum

from django.utils import translation
from django.utils.translation import gettext as _

from dealers.models import Salesperson
from dealers.push import PushNotice, push_enabled, salesperson_push
from leads.models import Lead


class PushKind(enum.StrEnum):
    NEW_LEAD = "new_lead"
    REOFFER = "reoffer"
    REPLY = "reply"
    ESCALATION = "escalation"


def _recipients(lead: Lead, kind: PushKind) -> list[Salesperson]:
    if kind is not PushKind.ESCALATION and lead.assigned_to is not None:
        return [lead.assigned_to]
    # An escalation, or a reply nobody owns: the BDC agents, who can answer it.
    if kind in (PushKind.ESCALATION, PushKind.REPLY):
        return list(
            Salesperson.objects.filter(
                dealer=lead.dealer, role=Salesperson.Role.BDC, user__is_active=True
            )
        )
    return []


def _notice(lead: Lead, kind: PushKind) -> PushNotice:
    who = str(lead)
    about = lead.vehicle or lead.source
    titles = {
        PushKind.NEW_LEAD: _("New lead: %(customer)s"),
        PushKind.REOFFER: _("Lead offered to you: %(customer)s"),
        PushKind.REPLY: _("%(customer)s replied"),
        PushKind.ESCALATION: _("Escalation: %(customer)s"),
    }
    bodies = {
        PushKind.NEW_LEAD: about,
        PushKind.REOFFER: _("Not taken yet. %(about)s") % {"about": about},
        PushKind.REPLY: _("Open the lead to read and answer."),
        PushKind.ESCALATION: _("Not reached by the salesperson. %(about)s") % {"about": about},
    }
    return PushNotice(
        title=titles[kind] % {"customer": who},
        body=bodies[kind],
        url=f"/leads/{lead.pk}/",
        tag=f"lead-{lead.pk}-{kind.value}",
    )


def lead_push(*, lead_id: int, kind: str) -> int:
    """Push the notice of ``kind`` about the lead to whoever it concerns; how many devices."""
    if not push_enabled():
        return 0
    lead = Lead.objects.select_related("dealer", "assigned_to").filter(pk=lead_id).first()
    if lead is None or lead.erased_at is not None or lead.is_test:
        return 0
    push_kind = PushKind(kind)
    sent = 0
    with translation.override(lead.dealer.language):
        notice = _notice(lead, push_kind)
    for person in _recipients(lead, push_kind):
        sent += salesperson_push(salesperson=person, notice=notice)
    return sent
