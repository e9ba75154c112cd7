from __future__ import annotations

from django.contrib import admin

from followup.messages_models import InboundMessage, MessageTemplate, OutboundMessage


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["label", "dealer", "channel", "purpose", "language", "content_sid", "manual"]
    list_filter = ["dealer", "channel", "purpose", "language"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "dealer", "lead", "channel", "purpose", "status", "created_at", "tries"]
    list_filter = ["status", "channel", "purpose", "dealer"]
    search_fields = ["to", "provider_sid"]
    raw_id_fields = ["lead", "sent_by"]
    readonly_fields = ["provider_sid", "sending_at", "sent_at", "delivered_at", "read_at"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "dealer", "lead", "channel", "sender", "received_at", "opt_out"]
    list_filter = ["channel", "opt_out", "dealer"]
    search_fields = ["sender", "provider_sid"]
    raw_id_fields = ["lead"]
