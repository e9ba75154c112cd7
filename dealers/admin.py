from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.admin_scoping import DealerScopedAdmin
from dealers.models import Dealer, Salesperson, Vehicle


class SalespersonInline(admin.TabularInline):
    model = Salesperson
    extra = 0
    fields = ["user", "role", "phone", "on_duty", "working_hours"]
    raw_id_fields = ["user"]


@admin.register(Dealer)
class DealerAdmin(DealerScopedAdmin):
    dealer_field = "pk"

    list_display = ["name", "slug", "time_zone", "country", "language", "bdc_hour"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SalespersonInline]
    actions = ["rotate_token"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "time_zone", "country", "language"]}),
        (
            _("Hours and routing"),
            {"fields": ["opening_hours", "contact_hours", "bdc_hour", "bdc_phone", "bdc_email"]},
        ),
        (
            _("Contact policy"),
            {"fields": ["subdivision", "closed_days", "reply_days", "policy_override"]},
        ),
        (_("Senders"), {"fields": ["caller_id", "whatsapp_sender", "email_from", "inbound_email"]}),
        (
            _("Webhooks"),
            {"fields": ["signing_secret", "google_key", "meta_verify_token", "meta_page_token"]},
        ),
        (
            _("Process"),
            {"fields": ["reached_min_seconds", "recovery_days", "targets", "lost_reasons"]},
        ),
    ]

    @admin.action(description=_("Issue a new webhook token (shown once)"))
    def rotate_token(self, request, queryset):
        for dealer in queryset:
            token = dealer.rotate_webhook_token()
            self.message_user(
                request,
                _("New webhook token for %(dealer)s: %(token)s")
                % {"dealer": dealer, "token": token},
                messages.WARNING,
            )


@admin.register(Salesperson)
class SalespersonAdmin(DealerScopedAdmin):
    list_display = ["__str__", "dealer", "role", "phone", "on_duty"]
    list_filter = ["dealer", "role", "on_duty"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "phone"]
    raw_id_fields = ["user"]


@admin.register(Vehicle)
class VehicleAdmin(DealerScopedAdmin):
    """The stock as the feed last described it; corrections here are overwritten by the
    next push that names the car."""

    list_display = [
        "stock_number",
        "vin",
        "make",
        "model",
        "year",
        "condition",
        "price",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "condition", "make"]
    search_fields = ["stock_number", "vin", "make", "model"]
    readonly_fields = ["sold_at", "first_seen_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return ["dealer", *filters] if request.user.is_superuser else filters

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Staff enter cars for their own dealer only; the dealer is set for them.
        return fields if request.user.is_superuser else ["dealer", *fields]

    def save_model(self, request, obj, form, change):
        staff = getattr(request.user, "salesperson", None)
        if not request.user.is_superuser and staff is not None:
            obj.dealer_id = staff.dealer_id
        super().save_model(request, obj, form, change)
