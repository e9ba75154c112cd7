"""The salesperson's queue and lead page (issue 5): server-rendered, htmx for live updates."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from dealers.models import Salesperson
from dealers.tenancy import get_scoped, staff_of
from leadflow.lib import login_throttle
from leadflow.lib.htmx import HtmxHttpRequest
from leads.engine import ConversationMessage, EngineUnavailable, Unsettled, Upcoming, engine
from leads.forms import (
    REPORT_FILTERS,
    AppointmentForm,
    ConsentForm,
    LostForm,
    MessageForm,
    NoteForm,
    OutcomeForm,
    QueueFilterForm,
    ReassignForm,
    templates_by_channel,
)
from leads.labels import CONSENT_CHANNELS
from leads.models import AccessLog, Lead, LeadEvent
from leads.services import (
    leads_visible_to,
)
from leads.timeline import event_line

# Enough to work from on a phone; filters narrow the rest down.
QUEUE_PAGE = 30
NEW_WINDOW = dt.timedelta(hours=1)
# Past this a new lead's age turns red: DESIGN §1 promises the first call within two minutes.
FIRST_CALL_SECONDS = 120


# --- Sign-in ----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The dealer's language until the user picks one with the switch (kept in the cookie).
        staff = getattr(form.get_user(), "salesperson", None)
        if staff is not None and settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                staff.dealer.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response


def login_locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the sign-in page, saying why."""
    minutes = math.ceil(login_throttle.cool_off(request).total_seconds() / 60)
    return render(
        request,
        "registration/login.html",
        {"locked_out": True, "cooloff_minutes": minutes, "form": None},
        status=429,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("queue")


# --- Queue ------------------------------------------------------------------------------------


# What a queue row shows. Loading only these keeps a 90-row page cheap: a Lead has a dozen
# timestamps and kilobytes of payload the list never shows. (The query-count test catches a
# template reaching for a column not listed here.)
QUEUE_COLUMNS = (
    "dealer_id",
    "status",
    "first_name",
    "last_name",
    "phone",
    "email",
    "source",
    "vehicle_make",
    "vehicle_model",
    "vehicle_year",
    "received_at",
    "next_action",
    "next_action_due_at",
    "appointment_at",
    "opted_out_at",
    "possible_opt_out_at",
    "message_only",
    "phone_invalid",
    "bdc",
    "own_dial_at",
    "assigned_to__dealer_id",
    "assigned_to__user__first_name",
    "assigned_to__user__last_name",
    "assigned_to__user__username",
)


@dataclass
class Section:
    key: str
    title: str
    empty: str
    leads: list[Lead]
    total: int


def _unread() -> Exists:
    """A customer's reply the lead's salesperson has not opened the lead page since."""
    replies = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.INBOUND)
    return Exists(
        replies.filter(Q(at__gt=OuterRef("replies_read_at")) | Q(lead__replies_read_at=None))
    )


def _section(key: str, title: str, empty: str, leads: QuerySet[Lead]) -> Section:
    page = leads.select_related("assigned_to__user").only(*QUEUE_COLUMNS)
    # The annotation only adds ``unread_replies``: the rows are the section's leads.
    rows = cast(list[Lead], list(page.annotate(unread_replies=_unread())[:QUEUE_PAGE]))
    # Count only when the page is full: a short page already says how many there are.
    total = leads.count() if len(rows) == QUEUE_PAGE else len(rows)
    return Section(key, title, empty, rows, total)


WORKING = (
    Lead.Status.CONTACTING,
    Lead.Status.REACHED,
    Lead.Status.APPOINTMENT,
    Lead.Status.SHOWED,
)


def queue_sections(*, leads: QuerySet[Lead], now: dt.datetime) -> list[Section]:
    """Whom to contact now: new unreached leads (oldest first), then due or overdue attempts,
    then upcoming ones, then the rest (nothing scheduled, or closed under a report filter).

    Each part is its own LIMITed query shaped for an index (``lead_queue_new``,
    ``lead_queue_due``), so the page costs the same with 50 leads or 100,000."""
    # A lead the engine is already ringing is still "new" to the salesperson until it is
    # reached: the first hour is when speed decides whether the customer answers at all.
    fresh = Q(status=Lead.Status.NEW) | Q(
        status=Lead.Status.CONTACTING, received_at__gte=now - NEW_WINDOW
    )
    working = leads.filter(status__in=WORKING, next_action_due_at__isnull=False).exclude(fresh)
    rest = leads.exclude(fresh).exclude(status__in=WORKING, next_action_due_at__isnull=False)
    upcoming = _section(
        "upcoming",
        _("Upcoming"),
        _("Nothing planned."),
        working.filter(next_action_due_at__gt=now).order_by("next_action_due_at", "id"),
    )
    if len(upcoming.leads) < QUEUE_PAGE:
        unscheduled = _section("", "", "", rest.order_by("-received_at", "-id"))
        upcoming.leads += unscheduled.leads[: QUEUE_PAGE - len(upcoming.leads)]
        upcoming.total += unscheduled.total
    else:
        upcoming.total += rest.count()
    sections = [
        _section(
            "possible_opt_out",
            _("Possible opt-outs — please check"),
            "",
            leads.filter(possible_opt_out_at__isnull=False, opted_out_at=None).order_by(
                "possible_opt_out_at", "id"
            ),
        ),
        _section(
            "new",
            _("New — not reached yet"),
            _("No new leads. Well done."),
            leads.filter(fresh).order_by("received_at", "id"),
        ),
        _section(
            "due",
            _("Due now"),
            _("Nothing due right now."),
            working.filter(next_action_due_at__lte=now).order_by("next_action_due_at", "id"),
        ),
        upcoming,
    ]
    if not sections[0].leads:
        sections.pop(0)  # shown only when a reply waits for a person
    for lead in next(s for s in sections if s.key == "new").leads:
        # Shown by the queue row; set on the instance for the template.
        age = max(0, int((now - lead.received_at).total_seconds()))
        lead.age_seconds = age  # type: ignore[attr-defined]
        lead.age_label = age_label(age)  # type: ignore[attr-defined]
    return sections


def age_label(seconds: int) -> str:
    """The same format static/js/queue.js counts on with: m:ss, then h:mm h, then days."""
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    if seconds < 86400:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d} h"
    return f"{seconds // 86400} d"


def _say_what_was_searched(sections: list[Section], query: str) -> None:
    """An empty section under a search or filter is not good news ("No new leads. Well
    done."): it says what was looked for."""
    for section in sections:
        if query:
            section.empty = _("No leads here match “%(query)s”.") % {"query": query}
        else:
            section.empty = _("No leads here match these filters.")


def queue(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_authenticated and request.htmx:
        # A poll after the session ended: send the whole page to sign-in, not just the list.
        return HttpResponseClientRedirect(f"{reverse('login')}?next={reverse('queue')}")
    return _queue(request)


@login_required
def _queue(request: HtmxHttpRequest) -> HttpResponse:
    staff = staff_of(request)
    leads = leads_visible_to(staff=staff)
    if not staff.sees_whole_dealer:
        # The BDC's evening leads are theirs to call, not every salesperson's.
        leads = leads.filter(Q(assigned_to=staff) | Q(assigned_to__isnull=True, bdc=False))
    # Empty choices ("All open") are no filter, not an invalid one.
    params = request.GET.copy()
    for name in list(params):
        params.setlist(name, [v for v in params.getlist(name) if v])
    form = QueueFilterForm(params)
    leads = form.filter(leads, dealer=staff.dealer) if form.is_valid() else leads.open()
    now = timezone.now()
    sections = queue_sections(leads=leads, now=now)
    if form.is_valid() and any(params.values()):
        _say_what_was_searched(sections, form.cleaned_data.get("q", ""))
    context = {
        "nav": "queue",
        "staff": staff,
        "form": form,
        "sections": sections,
        "now": now,
        "first_call_seconds": FIRST_CALL_SECONDS,
        "filtered": bool(request.GET),
        "applied_filters": form.applied(dealer=staff.dealer),
        "selected_statuses": params.getlist("status"),
        "report_params": [
            (name, params[name]) for name in REPORT_FILTERS if params.get(name) and name != "rep"
        ],
        "more_filters": any(params.get(name) for name in ("status", "source", "rep", "due", "bdc")),
        "sellers": list(
            Salesperson.objects.filter(dealer_id=staff.dealer_id, role=Salesperson.Role.SALESPERSON)
            .select_related("user")
            .order_by("user__first_name", "pk")
        )
        if staff.sees_whole_dealer
        else [],
        "query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "queue-list":
        return render(request, "leads/_queue_list.html", context)
    return render(request, "leads/queue.html", context)


# --- Lead page --------------------------------------------------------------------------------


def get_lead(request: HttpRequest, pk: int) -> tuple[Lead, Salesperson]:
    """The lead if this user may see it, else 404 (another dealer's, another rep's)."""
    staff = staff_of(request)
    lead = get_scoped(
        request,
        leads_visible_to(staff=staff).select_related("dealer", "assigned_to__user"),
        pk=pk,
    )
    return lead, staff


@dataclass
class TimelineLine:
    """One line of the timeline; identical lines in a row are one line with a count."""

    event: LeadEvent
    text: str
    count: int = 1
    first_at: dt.datetime | None = None

    def __iter__(self):
        # Templates and tests unpack ``event, text``.
        return iter((self.event, self.text))


def timeline_lines(events: list[LeadEvent]) -> list[TimelineLine]:
    """Newest first; a run of identical lines (same words, same person, no note) collapses
    into the newest with how many there were and since when (a provider retrying, an
    engine re-checking), so the timeline stays readable."""
    lines: list[TimelineLine] = []
    for event in events:
        text = event_line(event)
        last = lines[-1] if lines else None
        if (
            last is not None
            and last.text == text
            and last.event.actor_id == event.actor_id
            and not last.event.note
            and not event.note
        ):
            last.count += 1
            last.first_at = event.at
            continue
        lines.append(TimelineLine(event, text))
    return lines


def lead_upcoming(lead: Lead) -> list[Upcoming]:
    try:
        return list(engine().upcoming(lead=lead))
    except EngineUnavailable:
        pass
    if lead.next_action_due_at and lead.is_open and not lead.opted_out:
        return [Upcoming(lead.next_action_due_at, "", lead.next_action or _("Next attempt"))]
    return []


def lead_channels(lead: Lead) -> list[dict]:
    """Consent per channel for the lead page, in the viewer's language."""
    try:
        statuses = engine().channel_status(lead=lead)
    except EngineUnavailable:
        return []
    sources = {
        "portal": _("from the %(portal)s form") % {"portal": lead.source},
        "preferred_channel": _("asked to be contacted this way"),
        "salesperson": _("recorded by a salesperson"),
        "suppression": _("opted out"),
        "none": _("nobody asked the customer"),
    }
    states = {"yes": _("yes"), "no": _("no"), "unknown": _("unknown")}
    return [
        {
            "channel": s.channel,
            "label": CONSENT_CHANNELS.get(s.channel, s.channel),
            "state": s.state,
            "state_label": states.get(s.state, s.state),
            "source": sources.get(s.source, s.source),
            "suppressed": s.suppressed,
        }
        for s in statuses
    ]


def _message_channel(lead: Lead, channels: list[str], asked: str | None) -> str | None:
    """The channel the message form opens on: the one asked for, else the customer's
    preferred one, else whichever is usable."""
    for candidate in (asked, lead.preferred_channel):
        if candidate in channels:
            return candidate
    return channels[0] if channels else None


def _unsettled(lead: Lead) -> list[Unsettled]:
    try:
        return list(engine().messages_unsettled(lead=lead))
    except EngineUnavailable:
        return []


def _conversation(lead: Lead) -> list[ConversationMessage]:
    try:
        return list(engine().conversation(lead=lead))
    except EngineUnavailable:
        return []


def _unread_replies(lead: Lead, staff: Salesperson) -> int:
    """Replies the lead's salesperson has not seen; opening the page as them reads them."""
    unread = lead.events.filter(kind=LeadEvent.Kind.INBOUND)
    if lead.replies_read_at is not None:
        unread = unread.filter(at__gt=lead.replies_read_at)
    count = unread.count()
    if lead.assigned_to_id == staff.pk:
        lead.mark_replies_read()
    return count


def _templates(lead: Lead) -> tuple[list[tuple[str, str]], str]:
    try:
        return list(engine().message_templates(lead=lead)), ""
    except EngineUnavailable as exc:
        return [], _(str(exc))


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead, staff = get_lead(request, pk)
    AccessLog.record(
        dealer_id=lead.dealer_id, user=request.user, action=AccessLog.Action.VIEW, lead_id=lead.pk
    )
    events = list(lead.events.select_related("actor__user").order_by("-at", "-id"))
    templates, templates_unavailable = _templates(lead)
    channels = list(templates_by_channel(templates))
    conversation = _conversation(lead)
    # Answer on the channel the customer last wrote on, unless another one is asked for.
    last_in = next((m.channel for m in reversed(conversation) if not m.out), None)
    channel = _message_channel(lead, channels, request.GET.get("channel") or last_in)
    context = {
        "nav": "queue",
        "lead": lead,
        "staff": staff,
        "timeline": timeline_lines(events),
        "upcoming": lead_upcoming(lead),
        "conversation": conversation,
        "unread": _unread_replies(lead, staff),
        "channels": lead_channels(lead),
        "consent_form": ConsentForm(),
        "may_override": lead.dealer.policy_override,
        "unsettled": _unsettled(lead),
        "templates_unavailable": templates_unavailable,
        "outcome_form": OutcomeForm(),
        "note_form": NoteForm(),
        "appointment_form": AppointmentForm(
            dealer=lead.dealer,
            initial={
                "at": timezone.localtime(lead.appointment_at) if lead.appointment_at else None
            },
        ),
        "lost_form": LostForm(dealer=lead.dealer),
        "message_form": MessageForm(templates=templates, channel=channel) if channel else None,
        "message_channels": [(c, Lead.Channel(c).label) for c in channels if c in Lead.Channel],
        "reassign_form": ReassignForm(
            dealer=lead.dealer,
            initial={"to": str(lead.assigned_to_id) if lead.assigned_to_id else "bdc"},
        )
        if staff.sees_whole_dealer
        else None,
        "moves": {
            "showed": lead.can_move_to(Lead.Status.SHOWED),
            "no_show": lead.status == Lead.Status.APPOINTMENT,
            "sold": lead.can_move_to(Lead.Status.SOLD),
            "lost": lead.can_move_to(Lead.Status.LOST),
            "appointment": lead.can_move_to(Lead.Status.APPOINTMENT)
            or lead.status == Lead.Status.APPOINTMENT,
        },
    }
    return render(request, "leads/lead_detail.html", context)


# --- Actions ----------------------------------------------------------------------------------
