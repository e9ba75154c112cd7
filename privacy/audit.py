"""django-auditlog's registrations: staff accounts, whose changes matter wherever they happen.

Tenant rows (leads, intake records, messages, dealers, salespeople) are logged when a person
changes them in the admin (leadflow/lib/admin_audit.py); user accounts are logged on every save
except the password hash and the last login time.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.contrib.auth import get_user_model


def register_audited_models() -> None:
    user = get_user_model()
    if not auditlog.contains(user):
        auditlog.register(user, exclude_fields=["password", "last_login"])
