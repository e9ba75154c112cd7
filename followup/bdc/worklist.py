"""The BDC's worklist: escalations now, leads that came in after hours, recovery calls due,
and leads waiting to go back to a salesperson; each with its age and next step.

Every section is one LIMITed query scoped to the dealer, so the page costs the same however
many leads the dealer has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import Dealer
from followup.bdc.handback import handback_candidates, takes_leads
from followup.bdc.reoffer import REOFFER
from followup.models import Attempt, Call
from followup.sla import NOBODY
from leads.labels import action_label
from leads.models import Lead
from leads.views import QUEUE_COLUMNS, age_label

LIMIT = 50
# A BDC leg rung this recently for a lead nobody has reached yet is an escalation to act on.
ESCALATED_WINDOW = dt.timedelta(hours=1)
NEVER_LATE = 10**9
UNREACHED = (Lead.Status.NEW, Lead.Status.CONTACTING)
# The queue's row columns, plus why the BDC has the lead.
COLUMNS = (
    *(column for column in QUEUE_COLUMNS if "__" not in column),
    "bdc_reason",
    "assigned_to_id",
)


@dataclass
class Row:
    lead: Lead
    age_seconds: int
    step: str
    due_at: dt.datetime | None = None
    unowned: bool = False

    @property
    def age_label(self) -> str:
        return age_label(self.age_seconds)

    @property
    def late_after(self) -> int:
        """The age past which the row turns red: two minutes after its step fell due."""
        if self.due_at is None:
            return NEVER_LATE
        return max(0, int((self.due_at - self.lead.received_at).total_seconds())) + 120


@dataclass
class WorkSection:
    key: str
    title: str
    empty: str
    rows: list[Row] = field(default_factory=list)


TITLES = {
    "escalated": (gettext_lazy("Escalated now"), gettext_lazy("No escalations right now.")),
    "after_hours": (
        gettext_lazy("After-hours leads"),
        gettext_lazy("No lead is waiting from after hours."),
    ),
    "recovery": (gettext_lazy("Recovery calls due"), gettext_lazy("No recovery call is due.")),
    "hand_back": (
        gettext_lazy("To hand back to sales"),
        gettext_lazy("Nothing to hand back."),
    ),
}


def _leads(dealer: Dealer) -> QuerySet[Lead]:
    return Lead.objects.filter(dealer=dealer, is_test=False, erased_at=None).only(*COLUMNS)


def _age(lead: Lead, now: dt.datetime) -> int:
    return max(0, int((now - lead.received_at).total_seconds()))


def worklist(*, dealer: Dealer, now: dt.datetime) -> list[WorkSection]:
    leads = _leads(dealer)
    sections = {key: WorkSection(key, str(t), str(e)) for key, (t, e) in TITLES.items()}

    rung_bdc = Call.objects.filter(
        dealer=dealer, is_bdc=True, parent=None, created_at__gte=now - ESCALATED_WINDOW
    ).values("lead_id")
    escalated = list(
        leads.filter(status__in=UNREACHED)
        .filter(Q(pk__in=rung_bdc) | Q(bdc=True, bdc_reason__in=("handed on", REOFFER)))
        .order_by("received_at", "id")[:LIMIT]
    )
    for lead in escalated:
        sections["escalated"].rows.append(
            Row(lead, _age(lead, now), _("Call the customer back now"), now)
        )
    seen = {lead.pk for lead in escalated}

    waiting = leads.filter(status__in=UNREACHED).filter(
        Q(bdc=True) | Q(assigned_to=None, bdc_reason=NOBODY)
    )
    for lead in waiting.order_by("received_at", "id")[:LIMIT]:
        if lead.pk in seen:
            continue
        seen.add(lead.pk)
        unowned = lead.bdc_reason == NOBODY and lead.assigned_to_id is None
        if unowned:
            step = _("Nobody could be rung: call the customer")
        else:
            step = action_label(lead.next_action) if lead.next_action else _("First call")
        sections["after_hours"].rows.append(
            Row(lead, _age(lead, now), step, lead.next_action_due_at, unowned)
        )

    end_of_day = dt.datetime.combine(
        now.astimezone(dealer.tz).date() + dt.timedelta(days=1), dt.time(0), tzinfo=dealer.tz
    )
    due = (
        Attempt.objects.pending()
        .filter(dealer=dealer, purpose="recovery", due_at__lt=end_of_day)
        .order_by("due_at", "id")
        .values_list("lead_id", "due_at")[:LIMIT]
    )
    due_at = dict(due)
    for lead in leads.filter(pk__in=due_at):
        sections["recovery"].rows.append(
            Row(lead, _age(lead, now), _("Recovery call"), due_at[lead.pk])
        )
    sections["recovery"].rows.sort(key=lambda row: (row.due_at, row.lead.pk))

    back = handback_candidates().filter(dealer=dealer, status=Lead.Status.REACHED)
    if takes_leads(dealer, now):
        step = _("Back to sales at once")
    else:
        step = _("Back to sales when the showroom opens")
    for lead in back.only(*COLUMNS).order_by("received_at", "id")[:LIMIT]:
        if lead.pk not in seen:
            sections["hand_back"].rows.append(Row(lead, _age(lead, now), step, None))
    return list(sections.values())
