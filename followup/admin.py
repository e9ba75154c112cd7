from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dealers.admin_scoping import DealerScopedAdmin
from followup.models import (
    Attempt,
    Booking,
    CadenceStep,
    Call,
    InboundMessage,
    MessageTemplate,
    OutboundMessage,
)
from followup.outbox import message_mark_sent, message_resend


@admin.register(CadenceStep)
class CadenceStepAdmin(DealerScopedAdmin):
    list_display = ("dealer", "position", "day", "offset_minutes", "at_time", "channel", "template")
    list_filter = ("dealer", "channel")
    ordering = ("dealer", "position")


@admin.register(Attempt)
class AttemptAdmin(DealerScopedAdmin):
    list_display = ("lead", "key", "channel", "due_at", "status", "outcome", "reason")
    list_filter = ("status", "channel")
    raw_id_fields = ("lead", "requested_by")
    search_fields = ("lead__last_name", "lead__phone", "key")


@admin.register(Call)
class CallAdmin(DealerScopedAdmin):
    list_display = ("lead", "leg", "to", "status", "duration", "outcome", "created_at")
    list_filter = ("status", "leg", "provider")
    raw_id_fields = ("lead", "attempt", "parent", "salesperson")
    search_fields = ("sid", "to")


@admin.register(Booking)
class BookingAdmin(DealerScopedAdmin):
    """What customers booked on the booking page (the appointment itself is on the lead)."""

    list_display = ["starts_at", "kind", "status", "lead", "salesperson", "created_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["lead", "salesperson"]
    readonly_fields = [
        "dealer",
        "lead",
        "kind",
        "starts_at",
        "ends_at",
        "created_at",
        "notified_at",
    ]
    fields = [*readonly_fields, "salesperson", "status", "cancelled_at"]


# Email and WhatsApp: templates, the outbox and replies.


@admin.register(MessageTemplate)
class MessageTemplateAdmin(DealerScopedAdmin):
    list_display = ["label", "dealer", "channel", "purpose", "language", "content_sid", "manual"]
    list_filter = ["dealer", "channel", "purpose", "language"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(DealerScopedAdmin):
    list_display = ["id", "dealer", "lead", "channel", "purpose", "status", "created_at", "tries"]
    list_filter = ["status", "channel", "purpose", "dealer"]
    search_fields = ["to", "provider_sid"]
    raw_id_fields = ["lead", "sent_by"]
    readonly_fields = ["provider_sid", "sending_at", "sent_at", "delivered_at", "read_at"]
    actions = ["resend", "mark_sent"]

    @admin.action(description=_("Send again (outcome unknown or failed)"))
    def resend(self, request, queryset) -> None:
        by = getattr(request.user, "salesperson", None)
        done = sum(message_resend(message=m, by=by) for m in queryset.select_related("lead"))
        self.message_user(
            request,
            ngettext("%(n)d message queued again.", "%(n)d messages queued again.", done)
            % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as sent (checked with the provider)"))
    def mark_sent(self, request, queryset) -> None:
        done = sum(message_mark_sent(message=m) for m in queryset.select_related("lead"))
        self.message_user(
            request,
            ngettext("%(n)d message marked as sent.", "%(n)d messages marked as sent.", done)
            % {"n": done},
            messages.SUCCESS,
        )


@admin.register(InboundMessage)
class InboundMessageAdmin(DealerScopedAdmin):
    list_display = ["id", "dealer", "lead", "channel", "sender", "received_at", "opt_out"]
    list_filter = ["channel", "opt_out", "dealer"]
    search_fields = ["sender", "provider_sid"]
    raw_id_fields = ["lead"]
