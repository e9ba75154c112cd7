from __future__ import annotations

from django.contrib import admin

from dealers.admin_scoping import DealerScopedAdmin
from followup.models import Attempt, Booking, CadenceStep, Call


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
