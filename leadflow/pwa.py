"""The installable app: web manifest, service worker and the page it shows offline.

The service worker sits at the site's root so its scope covers every page. It keeps only the
offline page and the static files: a salesperson must never act on a lead page that a cache
kept from an hour ago, so pages always come from the network and, without one, the offline
page says so. It also shows Web Push notifications and opens the lead they name.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# Bump when the offline page or the cached static files change: the old caches are dropped.
SHELL_VERSION = "1"
THEME_COLOR = "#1d4ed8"


@require_safe
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "id": "/queue/",
        "name": "LeadFlow",
        "short_name": "LeadFlow",
        "description": _("Your leads, called within two minutes and followed up until reached."),
        "lang": get_language(),
        "start_url": "/queue/?source=app",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_safe
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    # no-cache: browsers re-check the worker on every visit, so a fix reaches phones at once.
    response = render(
        request,
        "pwa/sw.js",
        {
            "version": SHELL_VERSION,
            "icon": static("icons/icon-192.png"),
            "precache": [
                "/offline/",
                static("css/leadflow.css"),
                static("vendor/htmx.min.js"),
                static("icons/icon-192.png"),
            ],
        },
        content_type="text/javascript",
    )
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "pwa/offline.html")
