"""Tenant scoping that fails closed: every view reaches tenant rows through these helpers."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from dealers.models import Salesperson

M = TypeVar("M", bound=Model)
# The queryset's own class goes through (a LeadQuerySet stays one, with its filters).
QS = TypeVar("QS", bound=QuerySet[Any])


def staff_of(request: HttpRequest) -> Salesperson:
    """The signed-in user's place at a dealer; users without one see nothing (404)."""
    staff = getattr(request.user, "salesperson", None) if request.user.is_authenticated else None
    if staff is None:
        raise Http404("not a dealer's staff member")
    return staff


def scoped(request: HttpRequest, queryset: QS) -> QS:
    return queryset.filter(dealer=staff_of(request).dealer)


def get_scoped(request: HttpRequest, queryset: QuerySet[M], **lookup) -> M:
    try:
        return scoped(request, queryset).get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None
