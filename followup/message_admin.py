from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dealers.admin_scoping import DealerScopedAdmin
from followup.messages_models import InboundMessage, MessageTemplate, OutboundMessage
from followup.messaging import message_mark_sent, message_resend


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
