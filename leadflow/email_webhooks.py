"""django-anymail's webhooks, but only the configured ESP's.

anymail mounts every provider's inbound and tracking routes; an unconfigured provider's view
fails with a server error, and a configured one without ``ANYMAIL_WEBHOOK_SECRET`` accepts
anyone's posts (forged lead emails, replies, opt-outs). Here each route answers 404 unless its
provider is ``LEADFLOW_EMAIL_ESP``, and settings refuse to start with an ESP but no secret.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django.urls.resolvers import RegexPattern, RoutePattern


def _provider(pattern: URLPattern) -> str:
    if isinstance(pattern.pattern, RoutePattern):
        route = str(pattern.pattern._route)  # type: ignore[attr-defined]
    elif isinstance(pattern.pattern, RegexPattern):
        route = str(pattern.pattern.regex.pattern).lstrip("^")
    else:  # pragma: no cover - anymail uses path() and re_path() only
        route = str(pattern.pattern)
    return route.split("/", 1)[0]


def _only_for(provider: str, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)  # keeps csrf_exempt: providers post without a CSRF token
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.LEADFLOW_EMAIL_ESP or provider != settings.LEADFLOW_EMAIL_ESP:
            raise Http404("no such email webhook")
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            raise Http404("email webhooks need ANYMAIL_WEBHOOK_SECRET")
        return view(request, *args, **kwargs)

    return guarded


def urlpatterns() -> list[URLPattern]:
    return [
        URLPattern(
            pattern.pattern,
            _only_for(_provider(pattern), pattern.callback),
            pattern.default_args,
            pattern.name,
        )
        for pattern in anymail_urls.urlpatterns
    ]


PROVIDERS = sorted({_provider(pattern) for pattern in anymail_urls.urlpatterns})
