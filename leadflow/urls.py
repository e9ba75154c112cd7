from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from dealers import two_factor
from leadflow import email_webhooks, pwa
from leadflow.monitoring import metrics
from leadflow.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("accounts/verify/", two_factor.verify, name="two-factor-verify"),
    path("accounts/two-factor/", two_factor.setup, name="two-factor-setup"),
    path("hooks/<slug:dealer_slug>/", include("leads.intake.urls")),
    path("anymail/", include((email_webhooks.urlpatterns(), "anymail"))),
    path("reports/", include("leads.reports.urls")),
    path("", include("followup.urls")),
    path("", include("followup.bdc.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("followup.booking.urls")),
    path("", include("privacy.urls")),
    path("", include("dealers.urls")),
    path("", include("leads.urls")),
]
