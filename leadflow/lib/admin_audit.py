"""Changes people make in the admin go to django-auditlog's LogEntry: who, when, old → new.

Scoped to the admin on purpose: intake and the follow-up engine save leads thousands of times a
day (their moves are on the lead's timeline), and a change log of every engine write would copy
each customer's phone number into a second table without telling anyone more. What the admin
changes by hand is what the timeline cannot show.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib import admin
from django.db import models

# Never copied into the change log, only that they changed.
SECRET_FIELDS = frozenset(
    {
        "password",
        "webhook_token_hash",
        "signing_secret",
        "google_key",
        "meta_verify_token",
        "meta_page_token",
        "signing_secret_encrypted",
        "google_key_hash",
        "meta_verify_token_hash",
        "meta_page_token_encrypted",
    }
)


def _value(obj: models.Model | None, field: models.Field) -> str:
    if obj is None:
        return "None"
    value = field.value_from_object(obj)
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return "None" if value is None else str(value)


def instance_diff(old: models.Model | None, new: models.Model | None) -> dict[str, list[str]]:
    instance = new if new is not None else old
    if instance is None:
        return {}
    model = type(instance)
    changes: dict[str, list[str]] = {}
    for field in model._meta.concrete_fields:
        before, after = _value(old, field), _value(new, field)
        if before != after:
            changes[field.name] = ["***", "***"] if field.name in SECRET_FIELDS else [before, after]
    return changes


class AuditedAdmin(admin.ModelAdmin):
    """Writes a LogEntry for every add, change and delete made through this admin page."""

    def save_model(self, request, obj, form, change) -> None:
        old = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        changes = instance_diff(old, obj)
        if changes:
            action = LogEntry.Action.UPDATE if change else LogEntry.Action.CREATE
            _log(request, obj, action, changes)

    def delete_model(self, request, obj) -> None:
        _log(request, obj, LogEntry.Action.DELETE, instance_diff(obj, None))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            _log(request, obj, LogEntry.Action.DELETE, instance_diff(obj, None))
        super().delete_queryset(request, queryset)


def _log(request: Any, obj: models.Model, action: int, changes: dict[str, list[str]]) -> None:
    LogEntry.objects.log_create(
        obj,
        action=action,
        changes=changes,
        actor=request.user if request.user.is_authenticated else None,
        remote_addr=request.META.get("REMOTE_ADDR") or None,
    )
