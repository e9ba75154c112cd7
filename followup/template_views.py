"""The manager's message templates: the texts per purpose, channel and language, with a
preview, and the WhatsApp templates' state at Meta (kept in step by the Content API sync)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.models import Dealer, Salesperson
from dealers.tenancy import staff_of
from followup import queue
from followup.channels import templates as tpl
from followup.channels.content_sync import whatsapp_gaps
from followup.channels.texts import DEFAULTS, PURPOSES
from followup.models import MessageTemplate
from leads.models import Lead

CHANNELS = (MessageTemplate.Channel.EMAIL, MessageTemplate.Channel.WHATSAPP)


def _manager(request: HttpRequest) -> Salesperson:
    staff = staff_of(request)
    if staff.role != Salesperson.Role.MANAGER:
        raise Http404("templates are for managers")
    return staff


def _language(request: HttpRequest, dealer: Dealer) -> str:
    known = [code for code, _name in settings.LANGUAGES]
    wanted = request.GET.get("language") or dealer.language
    return wanted if wanted in known else known[0]


def _channel(value: str | None) -> str:
    return value if value in CHANNELS else MessageTemplate.Channel.EMAIL


class TemplateForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    subject = forms.CharField(label=gettext_lazy("Email subject"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=4000
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        unknown = [name for name in tpl.variables_of(body) if name not in tpl.PLACEHOLDER_NAMES]
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholders: %(names)s")
                % {"names": ", ".join(f"{{{n}}}" for n in unknown)}
            )
        return body


def _sample_lead(dealer: Dealer, language: str) -> Lead:
    """The preview's customer: the dealer's latest lead with a car, else Anna and her Golf
    (an unsaved row: the preview writes nothing)."""
    lead = (
        Lead.objects.filter(dealer=dealer, is_test=False)
        .exclude(vehicle_make="")
        .select_related("dealer", "assigned_to__user")
        .order_by("-received_at")
        .first()
    )
    if lead is None:
        lead = Lead(
            dealer=dealer,
            first_name="Anna",
            last_name="Schmidt",
            vehicle_make="Volkswagen",
            vehicle_model="Golf",
            vehicle_year=2023,
            vehicle_condition="used",
            vehicle_stock_number="A1234",
            vehicle_price=21990,
            message="Ist der Golf noch verfügbar?",
        )
    lead.language = language
    return lead


def _preview(*, dealer: Dealer, language: str, subject: str, body: str) -> dict[str, str]:
    lead = _sample_lead(dealer, language)
    values = tpl.placeholders(lead=lead, language=language)
    return {
        "subject": tpl.render(subject, values),
        "body": tpl.render(body, values),
        "customer": lead.customer_name,
    }


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    staff = _manager(request)
    dealer = staff.dealer
    language = _language(request, dealer)
    channel = _channel(request.GET.get("channel"))
    rows = []
    for purpose in PURPOSES:
        resolved = tpl.template_for_dealer(
            dealer_id=dealer.pk, channel=channel, purpose=purpose, language=language
        )
        own = MessageTemplate.objects.filter(
            dealer=dealer, channel=channel, purpose=purpose, language=language
        ).first()
        rows.append(
            {
                "purpose": purpose,
                "resolved": resolved,
                "own": own,
                "edited": own is not None and own.body != DEFAULTS[(purpose, language)]["body"],
                "url": reverse("message-template-edit", args=[channel, purpose, language]),
            }
        )
    context = {
        "nav": "templates",
        "rows": rows,
        "language": language,
        "channel": channel,
        "languages": settings.LANGUAGES,
        "channels": [(c, MessageTemplate.Channel(c).label) for c in CHANNELS],
        "gaps": whatsapp_gaps(dealer),
        "twilio": settings.LEADFLOW_PROVIDERS == "twilio",
    }
    return render(request, "followup/templates/list.html", context)


def _template_save(row: MessageTemplate, data: dict[str, str]) -> None:
    """The manager's wording, saved when it changed (a new WhatsApp text goes back to Meta)."""
    if row.change_text(
        label=data["label"],
        subject=data["subject"] if row.channel == MessageTemplate.Channel.EMAIL else "",
        body=data["body"],
        variables=tpl.variables_of(data["body"]),
    ):
        row.save()


@login_required
def template_edit(request: HttpRequest, channel: str, purpose: str, language: str) -> HttpResponse:
    staff = _manager(request)
    dealer = staff.dealer
    if channel not in CHANNELS or (purpose, language) not in DEFAULTS:
        raise Http404("no such template")
    default = DEFAULTS[(purpose, language)]
    own = MessageTemplate.objects.filter(
        dealer=dealer, channel=channel, purpose=purpose, language=language
    ).first()
    current = {
        "label": own.label if own and own.label else default["label"],
        "subject": own.subject if own and own.subject else default["subject"],
        "body": own.body if own and own.body else default["body"],
    }
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid() and "save" in request.POST:
            row = own or MessageTemplate(
                dealer=dealer,
                channel=channel,
                purpose=purpose,
                language=language,
                category=tpl.category_of(purpose),
            )
            _template_save(row, form.cleaned_data)
            messages.success(request, _("Template saved."))
            if (
                channel == MessageTemplate.Channel.WHATSAPP
                and settings.LEADFLOW_PROVIDERS == "twilio"
            ):
                queue.enqueue_on_commit(queue.WHATSAPP_TEMPLATES_SYNC, dealer.pk)
                messages.info(request, _("The WhatsApp template goes to Meta for approval."))
            return redirect(
                f"{reverse('message-template-list')}?channel={channel}&language={language}"
            )
        shown = {**current, **{k: request.POST.get(k, "") for k in ("label", "subject", "body")}}
    else:
        form = TemplateForm(initial=current)
        shown = current
    context = {
        "nav": "templates",
        "form": form,
        "channel": channel,
        "channel_label": MessageTemplate.Channel(channel).label,
        "purpose": purpose,
        "language": language,
        "language_name": dict(settings.LANGUAGES)[language],
        "own": own,
        "placeholders": tpl.PLACEHOLDER_NAMES,
        "preview": _preview(
            dealer=dealer, language=language, subject=shown["subject"], body=shown["body"]
        ),
        "back": f"{reverse('message-template-list')}?channel={channel}&language={language}",
    }
    return render(request, "followup/templates/edit.html", context)


@login_required
@require_POST
def template_sync(request: HttpRequest) -> HttpResponse:
    staff = _manager(request)
    queue.enqueue_on_commit(queue.WHATSAPP_TEMPLATES_SYNC, staff.dealer.pk)
    messages.info(request, _("WhatsApp templates are being synchronised with Twilio."))
    return redirect(f"{reverse('message-template-list')}?channel=whatsapp")
