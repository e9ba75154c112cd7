from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson
from leads.labels import LOST_REASONS, reason_label
from leads.models import Lead, LeadQuerySet


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's choice field, typed as one (``form.fields`` holds plain ``Field``s)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


MILESTONE_CHOICES = [("", "—"), *((m, Lead.Status(m).label) for m in Lead.MILESTONES)]
# The funnel report links here with these; any of them widens the queue to closed leads.
REPORT_FILTERS = (
    "week",
    "milestone",
    "not_milestone",
    "rep",
    "unassigned",
    "lost_reason",
    "channel",
)
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class QueueFilterForm(forms.Form):
    """The queue's filters, also the contract the manager's funnel report links with."""

    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Lead.Status.choices, required=False
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=40)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    due = forms.ChoiceField(
        label=_("Due"), choices=[("", "—"), ("today", _("Due today"))], required=False
    )
    bdc = forms.BooleanField(label=_("BDC leads"), required=False)
    rep = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Leads nobody holds (and the BDC does not have): the funnel's "Unassigned" row.
    unassigned = forms.BooleanField(required=False, widget=forms.HiddenInput)
    week = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    milestone = forms.ChoiceField(choices=MILESTONE_CHOICES, required=False)
    not_milestone = forms.ChoiceField(choices=MILESTONE_CHOICES, required=False)
    lost_reason = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        choices=[("", "—"), *Lead.Channel.choices], required=False, widget=forms.HiddenInput
    )

    def clean_week(self) -> tuple[dt.date, dt.date] | None:
        value = self.cleaned_data["week"]
        if not value:
            return None
        match = WEEK.match(value)
        try:
            if match is None:
                raise ValueError
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise forms.ValidationError(_("A week looks like 2026-W47.")) from None
        return monday, monday + dt.timedelta(days=7)

    @property
    def report_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in REPORT_FILTERS)

    def filter(self, leads: LeadQuerySet, *, dealer: Dealer) -> LeadQuerySet:
        data = self.cleaned_data
        if data["status"]:
            leads = leads.filter(status__in=data["status"])
        elif not self.report_filtered:
            leads = leads.filter(status__in=Lead.OPEN_STATUSES)
        if data["source"]:
            leads = leads.filter(source=data["source"])
        if data["rep"]:
            leads = leads.filter(assigned_to_id=data["rep"])
        if data["unassigned"]:
            leads = leads.filter(assigned_to__isnull=True, bdc=False)
        if data["bdc"]:
            leads = leads.filter(bdc=True)
        if data["channel"]:
            leads = leads.filter(first_channel=data["channel"])
        if data["lost_reason"]:
            leads = leads.filter(lost_reason=data["lost_reason"])
        if data["milestone"]:
            leads = leads.filter(**{f"{Lead.MILESTONES[data['milestone']]}__isnull": False})
        if data["not_milestone"]:
            leads = leads.filter(**{f"{Lead.MILESTONES[data['not_milestone']]}__isnull": True})
        if data["week"]:
            monday, next_monday = data["week"]
            leads = leads.filter(
                received_at__gte=_local_midnight(monday, dealer),
                received_at__lt=_local_midnight(next_monday, dealer),
            )
        if data["due"] == "today":
            today = timezone.localtime(timezone.now(), dealer.tz).date()
            # A new lead is due the moment it arrives.
            leads = leads.filter(
                Q(next_action_due_at__lt=_local_midnight(today + dt.timedelta(days=1), dealer))
                | Q(status=Lead.Status.NEW)
            )
        if data["q"]:
            leads = leads.filter(_search(data["q"]))
        return leads

    def applied(self, *, dealer: Dealer) -> list[str]:
        """The filters in force, in words, for the line above the list ("Week 2026-W47 ·
        Reached · Salesperson: Lena")."""
        if not self.is_valid():
            return []
        data = self.cleaned_data
        words: list[str] = []
        if data["week"]:
            monday, next_monday = data["week"]
            words.append(
                str(_("Received in week %(week)s (%(from)s – %(to)s)"))
                % {
                    "week": self.data.get("week"),
                    "from": formats.date_format(monday, "SHORT_DATE_FORMAT"),
                    "to": formats.date_format(
                        next_monday - dt.timedelta(days=1), "SHORT_DATE_FORMAT"
                    ),
                }
            )
        labels = dict(MILESTONE_CHOICES)
        if data["milestone"]:
            words.append(str(_("Got to: %(stage)s")) % {"stage": labels[data["milestone"]]})
        if data["not_milestone"]:
            words.append(str(_("Not yet: %(stage)s")) % {"stage": labels[data["not_milestone"]]})
        if data["status"]:
            statuses = dict(Lead.Status.choices)
            words.append(
                str(_("Status: %(status)s"))
                % {"status": ", ".join(str(statuses[s]) for s in data["status"])}
            )
        if data["rep"]:
            person = (
                Salesperson.objects.filter(dealer=dealer, pk=data["rep"])
                .select_related("user")
                .first()
            )
            name = person.display_name if person else str(data["rep"])
            words.append(str(_("Salesperson: %(name)s")) % {"name": name})
        if data["unassigned"]:
            words.append(str(_("Unassigned")))
        if data["bdc"]:
            words.append(str(_("BDC leads")))
        if data["lost_reason"]:
            words.append(
                str(_("Lost reason: %(reason)s")) % {"reason": reason_label(data["lost_reason"])}
            )
        if data["channel"]:
            words.append(
                str(_("First contact by %(channel)s"))
                % {"channel": Lead.Channel(data["channel"]).label}
            )
        if data["source"]:
            words.append(str(_("Source: %(source)s")) % {"source": data["source"]})
        if data["due"]:
            words.append(str(_("Due today")))
        if data["q"]:
            words.append(str(_("Search: “%(q)s”")) % {"q": data["q"]})
        return words


def _local_midnight(day: dt.date, dealer: Dealer) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dealer.tz)


def _search(text: str) -> Q:
    text = text.strip()
    match = Q(email__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 4:
        # Phones are stored as E.164: "0171 123" should find +49171123…
        match |= Q(phone__contains=digits.lstrip("0"))
    for word in text.split():
        match |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    if " " in text:
        first, _space, last = text.partition(" ")
        match |= Q(first_name__icontains=first, last_name__icontains=last.strip())
    return match


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            ("reached", _("Reached")),
            ("no_answer", _("No answer")),
            ("voicemail", _("Voicemail")),
            ("wrong_number", _("Wrong number")),
        ]
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AppointmentForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, dealer: Dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        start, end = dealer.appointment_window(timezone.now())
        # The browser's picker offers only the allowed days; the server checks again.
        self.window = (start, end)
        self.fields["at"].widget.attrs.update(
            min=start.strftime("%Y-%m-%dT%H:%M"), max=end.strftime("%Y-%m-%dT%H:%M")
        )

    def clean_at(self) -> dt.datetime:
        at = self.cleaned_data["at"]
        refusal = self.dealer.appointment_refusal(at, timezone.now())
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return at


class MoveForm(forms.Form):
    to = forms.ChoiceField(
        choices=[("showed", _("Showed")), ("no_show", _("No-show")), ("sold", _("Sold"))]
    )
    note = forms.CharField(label=_("Note"), required=False)


class LostForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"))
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, dealer: Dealer, **kwargs):
        super().__init__(*args, **kwargs)
        _choice_field(self, "reason").choices = [
            (r, _lost_reason_label(r)) for r in dealer.lost_reasons
        ]


def _lost_reason_label(reason: str) -> str | Promise:
    return LOST_REASONS.get(reason, reason)


FREE_TEXT = "free"


def templates_by_channel(templates: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """The engine's templates ("whatsapp:first", …) per channel, in the engine's order (the
    template that fits the lead first). Keys without a channel fit every channel."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    shared = [(key, label) for key, label in templates if ":" not in key]
    for key, label in templates:
        channel, sep, _purpose = key.partition(":")
        if sep:
            grouped.setdefault(channel, []).append((key, label))
    if shared:
        for channel in (Lead.Channel.WHATSAPP, Lead.Channel.EMAIL):
            grouped.setdefault(channel, [])
            grouped[channel] = grouped[channel] + shared
    return grouped


class MessageForm(forms.Form):
    """One channel at a time: its templates only, and a text box where the channel takes
    the salesperson's own words (email; WhatsApp inside the customer's 24-hour window)."""

    channel = forms.CharField(widget=forms.HiddenInput)
    template = forms.ChoiceField(label=_("Template"), required=False)
    text = forms.CharField(
        label=_("Your own text (instead of the template)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, templates: list[tuple[str, str]], channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Not "channel": templates look up form["channel"] (the hidden field) first.
        self.selected_channel = channel
        usable = templates_by_channel(templates).get(channel, [])
        self.free_key = next((k for k, _l in usable if k.endswith(f":{FREE_TEXT}")), None)
        _choice_field(self, "template").choices = [
            (k, label) for k, label in usable if k != self.free_key
        ]
        self.fields["channel"].initial = channel
        if offered := [k for k, _label in usable if k != self.free_key]:
            self.fields["template"].initial = offered[0]
        if self.free_key is None:
            del self.fields["text"]

    @property
    def free_text_allowed(self) -> bool:
        return self.free_key is not None

    def clean(self):
        data = super().clean() or {}
        if data.get("channel") != self.selected_channel:
            raise forms.ValidationError(_("Please choose the channel again."))
        text = (self.data.get("text") or "").strip()
        if text and self.free_key is None:
            # Never drop what was typed: say why it cannot go.
            raise forms.ValidationError(
                _(
                    "WhatsApp allows free text only within 24 hours of the customer's last "
                    "message. Please choose a template."
                )
            )
        if text:
            data["template"], data["text"] = self.free_key, text
        elif not data.get("template"):
            raise forms.ValidationError(_("Please choose a template or write a text."))
        else:
            data["text"] = ""
        return data


class ReassignForm(forms.Form):
    to = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, dealer: Dealer, **kwargs):
        super().__init__(*args, **kwargs)
        sellers = Salesperson.objects.filter(
            dealer=dealer, role=Salesperson.Role.SALESPERSON, user__is_active=True
        ).select_related("user")
        _choice_field(self, "to").choices = [
            ("bdc", _("BDC")),
            *((str(s.pk), s.display_name) for s in sellers),
        ]
        self.sellers = {str(s.pk): s for s in sellers}

    def salesperson(self) -> Salesperson | None:
        return self.sellers.get(self.cleaned_data["to"])


class ConsentForm(forms.Form):
    """What the customer told the salesperson about being contacted on one channel."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (Lead.Channel.PHONE, _("Phone")),
            (Lead.Channel.EMAIL, _("Email")),
            (Lead.Channel.WHATSAPP, _("WhatsApp")),
        ],
    )
    given = forms.ChoiceField(
        label=_("The customer"),
        choices=[("yes", _("agrees to be contacted")), ("no", _("withdraws consent"))],
    )
    note = forms.CharField(
        label=_("How and when (evidence)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The example's date in the page's own format (a fixed "24.11." read as a stray
        # day.month on English pages).
        self.fields["note"].help_text = _(
            "E.g. “Said on the phone %(when)s: yes, WhatsApp is fine.”"
        ) % {"when": formats.date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")}
