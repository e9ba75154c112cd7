"""The admin for staff who are not superusers: their own dealer's rows only, failing closed.

Every admin class extends ``DealerScopedAdmin`` (or ``SuperuserOnlyAdmin`` for global data) and
every inline ``DealerScopedInline``; ``tests/test_admin_isolation.py`` walks the admin site's
registry and fails for any class that does not. What is scoped:

- the changelist, change, delete and history pages (``get_queryset``);
- every foreign-key and many-to-many choice, raw-id and autocomplete lookups included
  (``get_field_queryset``): a model the scoping does not know offers no choices at all;
- list filters: no filter by dealer, related-field filters list the dealer's rows only;
- saving: nothing may point at, or be moved to, another dealer, and nobody changes their own
  dealer or role (``save_model`` / ``save_formset`` refuse with 403, whatever the form said).

Staff without a dealer (``Salesperson`` row) see nothing and may do nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson
from leadflow.lib.admin_audit import AuditedAdmin

if TYPE_CHECKING:
    # The mixins extend what they are mixed into; the type checker needs to know what that is.
    _MixinBase = admin.options.BaseModelAdmin[Any]
    _InlineBase = admin.options.InlineModelAdmin[Any, Any]
else:
    _MixinBase = _InlineBase = object


def tenant_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its dealer, or None when the model belongs to no dealer."""
    if model is Dealer:
        return "pk"
    if model is get_user_model():
        return "salesperson__dealer"
    try:
        field = model._meta.get_field("dealer")
    except FieldDoesNotExist:
        return None
    if field.many_to_one and field.related_model is Dealer:
        return "dealer"
    return None


def dealer_of(request: HttpRequest) -> Dealer | None:
    """The dealer a non-superuser works for; None when they have none (they see nothing)."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    staff = Salesperson.objects.select_related("dealer").filter(user=user).first()
    return staff.dealer if staff is not None else None


def scope_queryset(queryset: models.QuerySet, dealer: Dealer | None) -> models.QuerySet:
    """``queryset`` cut down to ``dealer``'s rows; nothing for unknown models or no dealer."""
    path = tenant_path(queryset.model)
    if dealer is None or path is None:
        return queryset.none()
    queryset = queryset.filter(**{path: dealer.pk})
    if queryset.model is get_user_model():
        # A superuser who also works at the dealer is out of the dealer's staff's reach.
        queryset = queryset.filter(is_superuser=False)
    return queryset


def _request_dealer(request: HttpRequest) -> Dealer | None:
    # Cached on the request: the admin asks once per form field and inline.
    if not hasattr(request, "_leadflow_admin_dealer"):
        request._leadflow_admin_dealer = dealer_of(request)  # type: ignore[attr-defined]
    return request._leadflow_admin_dealer  # type: ignore[attr-defined]


def check_owned(request: HttpRequest, obj: models.Model) -> None:
    """Refuse to save ``obj`` unless it and everything it points at belong to the user's dealer."""
    if request.user.is_superuser:
        return
    dealer = _request_dealer(request)
    if dealer is None:
        raise PermissionDenied
    model = type(obj)
    own = tenant_path(model)
    if own is None:
        raise PermissionDenied(f"{model._meta.label} belongs to no dealer")
    if own == "pk" and obj.pk != dealer.pk:
        raise PermissionDenied("another dealer")
    if own == "dealer" and getattr(obj, "dealer_id", None) != dealer.pk:
        raise PermissionDenied("another dealer")
    mine = scope_queryset(model._default_manager.filter(pk=obj.pk), dealer)
    if own not in ("pk", "dealer") and obj.pk is not None and not mine.exists():
        raise PermissionDenied("another dealer")
    _check_relations_owned(obj, dealer)
    if isinstance(obj, Salesperson) and obj.pk and obj.user_id == request.user.pk:
        before = Salesperson.objects.filter(pk=obj.pk).values("dealer_id", "role").first()
        if before != {"dealer_id": obj.dealer_id, "role": obj.role}:
            raise PermissionDenied("nobody changes their own dealer or role")


def _check_relations_owned(obj: models.Model, dealer: Dealer) -> None:
    """Everything ``obj`` points at (but its own dealer) must be the dealer's too."""
    for field in type(obj)._meta.concrete_fields:
        if not field.is_relation or field.name == "dealer":
            continue
        value = getattr(obj, field.attname)
        if value is None:
            continue
        related_model = field.related_model
        assert isinstance(related_model, type)  # concrete relations name a model class
        related = related_model._default_manager.filter(pk=value)
        if not scope_queryset(related, dealer).exists():
            raise PermissionDenied(f"{field.name} belongs to another dealer")


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter listing only the viewer's dealer's rows (no other dealers' names)."""

    def field_choices(self, field, request, model_admin):
        queryset = scope_queryset(field.related_model._default_manager.all(), dealer_of(request))
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class DealerScopedMixin(_MixinBase):
    """What ModelAdmin and inlines share: choices scoped, saves checked."""

    def _dealer(self, request: HttpRequest) -> Dealer | None:
        return _request_dealer(request)

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        if request.user.is_superuser:
            return queryset
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return scope_queryset(queryset, self._dealer(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            formfield is not None
            and db_field.related_model is Dealer
            and not request.user.is_superuser
        ):
            # One choice, already chosen: a new row belongs to the user's own dealer.
            formfield.initial = getattr(self._dealer(request), "pk", None)
            formfield.empty_label = None
        return formfield


class DealerScopedAdmin(DealerScopedMixin, AuditedAdmin):
    """A ModelAdmin over a dealer's rows. Set ``dealer_field`` if the dealer is not ``dealer``."""

    dealer_field: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        dealer = self._dealer(request)
        path = self.dealer_field or tenant_path(self.model)
        if dealer is None or path is None:
            return queryset.none()
        queryset = queryset.filter(**{path: dealer.pk})
        if self.model is get_user_model():
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def _may(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or self._dealer(request) is not None

    def has_module_permission(self, request):
        return self._may(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request) and super().has_delete_permission(request, obj)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        scoped = []
        for entry in filters:
            name = entry[0] if isinstance(entry, (list, tuple)) else entry
            if not isinstance(name, str):
                scoped.append(entry)  # a SimpleListFilter: it answers for its own choices
                continue
            field = get_fields_from_path(self.model, name)[-1]
            if getattr(field, "related_model", None) is Dealer:
                continue  # there is only one
            if field.is_relation:
                scoped.append((name, ScopedRelatedFieldListFilter))
            else:
                scoped.append(entry)
        return scoped

    def save_model(self, request, obj, form, change):
        check_owned(request, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in instances:
            check_owned(request, obj)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            obj.save()
        formset.save_m2m()


class ScopedInlineFormSet(BaseInlineFormSet):
    """Refuses, with a form error, a row that would change the signed-in user's own role."""

    def clean(self):
        super().clean()
        user = getattr(self, "request_user", None)
        if user is None or user.is_superuser:
            return
        for form in self.forms:
            obj = form.instance
            if (
                isinstance(obj, Salesperson)
                and obj.pk
                and obj.user_id == user.pk
                and form.has_changed()
                and {"role", "dealer"} & set(form.changed_data)
            ):
                raise ValidationError(_("You cannot change your own dealer or role."))


class DealerScopedInline(DealerScopedMixin, _InlineBase):
    formset = ScopedInlineFormSet

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request_user = request.user  # type: ignore[attr-defined]
        return formset


class DealerScopedTabularInline(DealerScopedInline, admin.TabularInline):
    pass


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Data that belongs to no dealer (permission groups): superusers only."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
