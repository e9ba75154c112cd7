from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from leadflow.views import healthz
from leads import hooks

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("hooks/<slug:dealer_slug>/leads/", hooks.lead_webhook, name="lead-webhook"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("leads.urls")),
]
