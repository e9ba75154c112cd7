from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def providers(request: HttpRequest) -> dict[str, bool]:
    """The sandbox link only where the sandbox is served (LEADFLOW_PROVIDERS=sandbox)."""
    return {"sandbox_on": settings.LEADFLOW_PROVIDERS == "sandbox"}
