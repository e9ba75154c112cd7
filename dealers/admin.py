from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.admin_scoping import (
    DealerScopedAdmin,
    DealerScopedTabularInline,
    SuperuserOnlyAdmin,
    dealer_of,
)
from dealers.models import Dealer, Salesperson, Vehicle

User = get_user_model()


class DealerForm(forms.ModelForm):
    """Webhook secrets are written here and never shown again: empty keeps the stored one."""

    SECRETS = {
        "signing_secret": _("Webhook signing secret"),
        "google_key": _("Google Ads key"),
        "meta_verify_token": _("Meta verify token"),
        "meta_page_token": _("Meta page access token"),
    }

    signing_secret = forms.CharField(required=False, widget=forms.PasswordInput)
    google_key = forms.CharField(required=False, widget=forms.PasswordInput)
    meta_verify_token = forms.CharField(required=False, widget=forms.PasswordInput)
    meta_page_token = forms.CharField(required=False, widget=forms.PasswordInput)
    forget_secrets = forms.MultipleChoiceField(
        label=_("Remove"),
        required=False,
        choices=list(SECRETS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Dealer
        fields = ["name"]  # the admin passes its fieldsets' fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = {
            "signing_secret": self.instance.signing_secret_encrypted,
            "google_key": self.instance.google_key_hash,
            "meta_verify_token": self.instance.meta_verify_token_hash,
            "meta_page_token": self.instance.meta_page_token_encrypted,
        }
        for name, label in self.SECRETS.items():
            self.fields[name].label = label
            self.fields[name].help_text = (
                _("Set. Stored encrypted or hashed and never shown; enter a new one to replace it.")
                if stored[name]
                else _("Not set.")
            )

    def save(self, commit=True):
        dealer = super().save(commit=False)
        for name in self.cleaned_data.get("forget_secrets") or []:
            setattr(dealer, name, "")
        for name in self.SECRETS:
            if self.cleaned_data.get(name):
                setattr(dealer, name, self.cleaned_data[name])
        if commit:
            dealer.save()
            self.save_m2m()
        return dealer


class SalespersonInline(DealerScopedTabularInline):
    model = Salesperson
    extra = 0
    fields = ["user", "role", "phone", "on_duty", "working_hours"]
    raw_id_fields = ["user"]


@admin.register(Dealer)
class DealerAdmin(DealerScopedAdmin):
    list_display = ["name", "slug", "time_zone", "country", "language", "bdc_hour"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SalespersonInline]
    form = DealerForm
    actions = ["rotate_token", "rotate_signing_secret"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "time_zone", "country", "language"]}),
        (
            _("Hours and routing"),
            {
                "fields": [
                    "opening_hours",
                    "contact_hours",
                    "bdc_hour",
                    "bdc_phone",
                    "bdc_email",
                    "call_gap_minutes",
                    "reoffer_minutes",
                ]
            },
        ),
        (
            _("Contact policy"),
            {"fields": ["subdivision", "closed_days", "reply_days", "policy_override"]},
        ),
        (
            _("Senders"),
            {
                "fields": [
                    "caller_id",
                    "whatsapp_sender",
                    "sms_sender",
                    "text_channel",
                    "email_from",
                    "inbound_email",
                ]
            },
        ),
        (
            _("Webhooks"),
            {
                "fields": [
                    "signing_secret",
                    "google_key",
                    "meta_verify_token",
                    "meta_page_id",
                    "meta_page_token",
                    "forget_secrets",
                ]
            },
        ),
        (
            _("Process"),
            {
                "fields": [
                    "reached_min_seconds",
                    "recovery_days",
                    "appointment_days_ahead",
                    "targets",
                    "lost_reasons",
                ]
            },
        ),
    ]

    # A dealer's staff neither found nor close a dealership (the slug is its webhook address).
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("slug")
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        return (
            {} if not request.user.is_superuser else super().get_prepopulated_fields(request, obj)
        )

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

    @admin.action(description=_("Issue a new webhook signing secret (shown once)"))
    def rotate_signing_secret(self, request, queryset):
        for dealer in queryset:
            secret = dealer.rotate_signing_secret()
            self.message_user(
                request,
                _("New signing secret for %(dealer)s: %(secret)s")
                % {"dealer": dealer, "secret": secret},
                messages.WARNING,
            )


@admin.register(Salesperson)
class SalespersonAdmin(DealerScopedAdmin):
    list_display = ["__str__", "dealer", "role", "phone", "on_duty"]
    list_filter = ["dealer", "role", "on_duty"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "phone"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and obj is not None and obj.user_id == request.user.pk:
            readonly += ["dealer", "role"]
        return readonly


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


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class StaffUserAdmin(DealerScopedAdmin, UserAdmin):
    """Sign-ins of the dealer's staff. Rights (superuser, groups, permissions) are a
    superuser's to grant: whoever could grant them could grant themselves every dealer."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "groups", "user_permissions", "last_login", "date_joined"]
        return readonly

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return super().get_list_filter(request)
        return ["is_staff", "is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            # A new sign-in made by a dealer's staff works at that dealer, as a salesperson.
            dealer = dealer_of(request)
            if dealer is None:
                raise PermissionDenied
            Salesperson.objects.create(user=obj, dealer=dealer)


@admin.register(Group)
class StaffGroupAdmin(SuperuserOnlyAdmin, GroupAdmin):
    pass


def _third_party_admins_for_superusers_only() -> None:
    """Libraries' admin pages (login attempts, 2FA devices) list every dealer's people: only
    superusers see them. Registered before ours, as their apps come first in INSTALLED_APPS."""
    for model, model_admin in list(admin.site._registry.items()):
        if isinstance(model_admin, (DealerScopedAdmin, SuperuserOnlyAdmin)):
            continue
        if model._meta.app_label in {"dealers", "leads", "followup"}:
            continue
        admin.site.unregister(model)
        wrapped = type(type(model_admin).__name__, (SuperuserOnlyAdmin, type(model_admin)), {})
        admin.site.register(model, wrapped)


_third_party_admins_for_superusers_only()
