from __future__ import annotations

from django.contrib import admin

from followup.models import Attempt, CadenceStep, Call


@admin.register(CadenceStep)
class CadenceStepAdmin(admin.ModelAdmin):
    list_display = ("dealer", "position", "day", "offset_minutes", "at_time", "channel", "template")
    list_filter = ("dealer", "channel")
    ordering = ("dealer", "position")


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("lead", "key", "channel", "due_at", "status", "outcome", "reason")
    list_filter = ("status", "channel")
    raw_id_fields = ("lead", "requested_by")
    search_fields = ("lead__last_name", "lead__phone", "key")


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("lead", "leg", "to", "status", "duration", "outcome", "created_at")
    list_filter = ("status", "leg", "provider")
    raw_id_fields = ("lead", "attempt", "parent", "salesperson")
    search_fields = ("sid", "to")
