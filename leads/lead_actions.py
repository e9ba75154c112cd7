"""What people do to a lead from its page: one POST per action, then back to the page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from dealers.models import Salesperson
from leads.engine import EngineUnavailable, engine
from leads.forms import (
    AppointmentForm,
    ConsentForm,
    LostForm,
    MessageForm,
    MoveForm,
    NoteForm,
    OutcomeForm,
    ReassignForm,
)
from leads.labels import outcome_label
from leads.models import IllegalMove, Lead
from leads.services import (
    EvidenceMissing,
    lead_add_note,
    lead_book_appointment,
    lead_log_outcome,
    lead_mark_opted_out,
    lead_move,
    lead_no_show,
    lead_reassign,
)
from leads.views import get_lead

# The engine raises EngineUnavailable in English; these known messages are in the catalogue so
# the page can show them in the user's language (others are shown as they come).
ENGINE_MESSAGES = (
    gettext_noop("The follow-up engine is not running."),
    gettext_noop("Messages cannot be sent yet."),
)


def _form_error(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _override(request: HttpRequest, lead: Lead) -> bool:
    return lead.dealer.policy_override and request.POST.get("override") == "1"


def act_call(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    if lead.opted_out:
        messages.error(request, _("The customer opted out: no calls."))
        return
    if lead.phone_is_invalid:
        messages.error(request, _("The phone number is wrong: no calls."))
        return
    engine().call_now(lead=lead, by=staff, override=_override(request, lead))
    messages.success(request, _("Calling: your phone rings now, then the customer."))


def act_dial(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    """The salesperson tapped the number to call from their own phone (sent as the phone
    hands the number to its dialler): ask for the outcome until one is logged."""
    if lead.opted_out or lead.phone_is_invalid or not lead.phone:
        return
    lead.mark_dialled(by=staff)


def act_message(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    if lead.opted_out:
        messages.error(request, _("The customer opted out: no messages."))
        return
    form = MessageForm(
        request.POST,
        templates=engine().message_templates(lead=lead),
        channel=request.POST.get("channel", ""),
    )
    if not form.is_valid():
        return _form_error(request, form)
    engine().send_message(
        lead=lead,
        by=staff,
        channel=form.cleaned_data["channel"],
        template=form.cleaned_data["template"],
        text=form.cleaned_data["text"],
        override=_override(request, lead),
    )
    messages.success(request, _("Message sent."))


def act_outcome(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    outcome = form.cleaned_data["outcome"]
    lead = lead_log_outcome(lead=lead, by=staff, outcome=outcome, note=form.cleaned_data["note"])
    messages.success(request, _("Logged: %(outcome)s.") % {"outcome": outcome_label(outcome)})
    if outcome == "wrong_number" and lead.phone_is_invalid:
        _phone_invalid(request, lead, staff)


def _phone_invalid(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    """After the commit: the engine stops calls and WhatsApp and asks the customer by email."""
    try:
        asked = engine().phone_invalid(lead=lead, by=staff)
    except EngineUnavailable as exc:
        messages.warning(
            request,
            _("Calls to the wrong number could not be stopped yet: %(why)s") % {"why": _(str(exc))},
        )
        return
    if asked:
        messages.info(
            request,
            _(
                "No more calls or WhatsApp to this number. The customer was emailed and asked "
                "for a number that works."
            ),
        )
    else:
        messages.warning(
            request,
            _(
                "No more calls or WhatsApp to this number. There is no email address to ask "
                "for another one: look for another way to reach the customer."
            ),
        )


def act_appointment(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    form = AppointmentForm(request.POST, dealer=lead.dealer)
    if not form.is_valid():
        return _form_error(request, form)
    lead = lead_book_appointment(
        lead=lead, by=staff, at=form.cleaned_data["at"], note=form.cleaned_data["note"]
    )
    messages.success(
        request,
        _("Appointment booked for %(at)s.")
        % {
            "at": formats.date_format(
                timezone.localtime(lead.appointment_at), "SHORT_DATETIME_FORMAT"
            )
        },
    )
    # After the commit, outside the transaction: the engine talks to providers.
    try:
        engine().appointment_booked(lead=lead, by=staff)
    except EngineUnavailable as exc:
        messages.warning(
            request, _("No confirmation was sent to the customer: %(why)s") % {"why": _(str(exc))}
        )


def act_move(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    to, note = form.cleaned_data["to"], form.cleaned_data["note"]
    if to == "no_show":
        lead_no_show(lead=lead, by=staff, note=note)
        messages.success(request, _("Logged as no-show. Book a new appointment."))
        return
    lead = lead_move(lead=lead, by=staff, status=to, note=note)
    messages.success(
        request, _("Status is now “%(status)s”.") % {"status": lead.get_status_display()}
    )


def act_lost(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    form = LostForm(request.POST, dealer=lead.dealer)
    if not form.is_valid():
        return _form_error(request, form)
    lead_move(
        lead=lead,
        by=staff,
        status=Lead.Status.LOST,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
    )
    messages.success(request, _("Marked as lost."))


def act_note(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    lead_add_note(lead=lead, by=staff, note=form.cleaned_data["note"])
    messages.success(request, _("Note added."))


def act_opt_out(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    try:
        # The person, on all their leads (the engine keeps the suppression list).
        done = engine().opt_out(lead=lead, by=staff)
    except EngineUnavailable:
        done = lead_mark_opted_out(lead=lead, by=staff) is not None
    if not done:
        messages.info(request, _("The customer had already opted out."))
    else:
        messages.success(request, _("Opted out: no more calls or messages to this customer."))


def act_consent(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    given = form.cleaned_data["given"] == "yes"
    engine().consent_record(
        lead=lead,
        by=staff,
        channel=form.cleaned_data["channel"],
        given=given,
        note=form.cleaned_data["note"],
    )
    messages.success(request, _("Consent recorded.") if given else _("Withdrawal recorded."))


def act_possible_opt_out(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    confirmed = request.POST.get("confirmed") == "1"
    engine().possible_opt_out_resolve(lead=lead, by=staff, confirmed=confirmed)
    messages.success(
        request,
        _("Opted out: no more calls or messages to this customer.")
        if confirmed
        else _("Not an opt-out: the follow-up continues."),
    )


def act_reassign(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    if not staff.sees_whole_dealer:
        raise Http404("only managers and the BDC reassign")
    form = ReassignForm(request.POST, dealer=lead.dealer)
    if not form.is_valid():
        return _form_error(request, form)
    to = form.salesperson()
    lead_reassign(lead=lead, by=staff, to=to)
    messages.success(
        request, _("Assigned to %(name)s.") % {"name": to.display_name if to else _("BDC")}
    )


def act_message_settle(request: HttpRequest, lead: Lead, staff: Salesperson) -> None:
    """A message whose outcome was unknown: the salesperson checked it and decides."""
    how = request.POST.get("how", "")
    try:
        message_id = int(request.POST.get("message", ""))
    except ValueError:
        raise Http404("no such message") from None
    if how not in ("resend", "sent"):
        raise Http404("no such decision")
    if not engine().message_settle(lead=lead, by=staff, message_id=message_id, how=how):
        messages.info(request, _("That message was settled already."))
    elif how == "resend":
        messages.success(request, _("The message is being sent again."))
    else:
        messages.success(request, _("Marked as sent."))


ACTIONS: dict[str, Callable[[HttpRequest, Lead, Salesperson], None]] = {
    "call": act_call,
    "dial": act_dial,
    "message": act_message,
    "outcome": act_outcome,
    "appointment": act_appointment,
    "move": act_move,
    "lost": act_lost,
    "note": act_note,
    "opt-out": act_opt_out,
    "consent": act_consent,
    "possible-opt-out": act_possible_opt_out,
    "reassign": act_reassign,
    "message-settle": act_message_settle,
}


@login_required
@require_POST
def lead_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("no such action")
    lead, staff = get_lead(request, pk)
    if lead.erased_at is not None:
        # Nobody is there to call or message any more; the row only counts in the funnel.
        messages.error(request, _("This person's data was erased: nothing more can be done here."))
        return redirect(reverse("lead", args=[lead.pk]))
    try:
        handler(request, lead, staff)
    except (IllegalMove, EvidenceMissing) as exc:
        messages.error(request, str(exc))
    except EngineUnavailable as exc:
        messages.warning(request, _("Not available: %(why)s") % {"why": _(str(exc))})
    if action == "dial":
        # Sent by the browser as the phone opens its dialler: nobody waits for a page.
        return HttpResponse(status=204)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("lead", args=[lead.pk])
    return redirect(target)
