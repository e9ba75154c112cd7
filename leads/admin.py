from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dealers.admin_scoping import DealerScopedAdmin, DealerScopedTabularInline
from leads.intake.parsers import PayloadError
from leads.intake.pipeline import intake_record_replay
from leads.intake.records import IntakeRefused, IntakeTemporaryFailure
from leads.intake.validation import LeadInvalid
from leads.models import FunnelDigest, IntakeRecord, Lead, LeadEvent


class LeadEventInline(DealerScopedTabularInline):
    model = LeadEvent
    extra = 0
    fields = ["at", "kind", "actor", "note", "data"]
    readonly_fields = ["at", "kind", "actor", "note", "data"]
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Lead)
class LeadAdmin(DealerScopedAdmin):
    list_display = [
        "__str__",
        "dealer",
        "source",
        "status",
        "assigned_to",
        "bdc",
        "received_at",
        "first_ring_at",
        "reached_at",
    ]
    list_filter = ["status", "source", "bdc", "dealer", "assigned_to"]
    search_fields = ["first_name", "last_name", "email", "phone", "external_id"]
    date_hierarchy = "received_at"
    list_select_related = ["dealer", "assigned_to__user"]
    raw_id_fields = ["assigned_to"]
    readonly_fields = [
        "raw_payload",
        "received_at",
        "first_attempt_at",
        "first_ring_at",
        "customer_rang_at",
        "reached_at",
        "appointment_set_at",
        "showed_at",
        "sold_at",
        "lost_at",
        "opted_out_at",
        "sources",
    ]
    inlines = [LeadEventInline]


class IntakeRecordForm(forms.ModelForm):
    """The raw body as text in its declared charset, written back in that charset."""

    body_text = forms.CharField(
        label=_("body"), required=False, widget=forms.Textarea(attrs={"rows": 20, "cols": 100})
    )

    class Meta:
        model = IntakeRecord
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["body_text"].initial = self.instance.body_text

    def save(self, commit: bool = True) -> IntakeRecord:
        if "body_text" in self.changed_data:
            text = self.cleaned_data["body_text"]
            self.instance.body = text.encode(self.instance.charset, errors="xmlcharrefreplace")
        return super().save(commit=commit)


@admin.register(IntakeRecord)
class IntakeRecordAdmin(DealerScopedAdmin):
    form = IntakeRecordForm
    list_display = [
        "received_at",
        "dealer_slug",
        "source",
        "format",
        "outcome",
        "status_code",
        "lead",
        "short_error",
    ]
    list_filter = ["outcome", "source", "format", "dealer"]
    # The body is bytes in any encoding: searched by the fields that are text.
    search_fields = ["error", "external_id", "lead__email", "lead__phone"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "dealer",
        "dealer_slug",
        "source",
        "format",
        "external_id",
        "received_at",
        "content_type",
        "headers",
        "body_size",
        "outcome",
        "status_code",
        "error",
        "errors",
        "lead",
        "replayed_at",
        "replay_count",
    ]
    fields = [*readonly_fields[:10], "body_text", *readonly_fields[10:]]
    actions = ["replay"]

    @admin.display(description=_("error"))
    def short_error(self, obj: IntakeRecord) -> str:
        return obj.error[:80]

    @admin.action(description=_("Replay the selected requests (after correcting their body)"))
    def replay(self, request, queryset):
        for record in queryset:
            try:
                result = intake_record_replay(record=record)
            except (PayloadError, LeadInvalid, IntakeTemporaryFailure, IntakeRefused) as exc:
                self.message_user(
                    request,
                    _("%(record)s still rejected: %(error)s") % {"record": record, "error": exc},
                    messages.ERROR,
                )
            except ValueError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("%(record)s → lead %(lead)s (%(outcome)s)")
                    % {"record": record, "lead": result.lead.pk, "outcome": result.outcome},
                    messages.SUCCESS,
                )


@admin.register(FunnelDigest)
class FunnelDigestAdmin(DealerScopedAdmin):
    """Support can answer "did Monday's digest go out, and to whom?"."""

    list_display = ["dealer", "week", "status", "sent_at", "claimed_at"]
    list_filter = ["status", "dealer"]
    readonly_fields = ["dealer", "week", "status", "recipients", "claimed_at", "sent_at", "error"]
