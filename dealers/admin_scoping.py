"""Admin pages for staff who are not superusers show their own dealer's rows only."""

from __future__ import annotations

from leadflow.lib.admin_audit import AuditedAdmin


class DealerScopedAdmin(AuditedAdmin):
    dealer_field = "dealer_id"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        staff = getattr(request.user, "salesperson", None)
        if staff is None:
            return queryset.none()
        return queryset.filter(**{self.dealer_field: staff.dealer_id})
