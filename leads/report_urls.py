from __future__ import annotations

from django.urls import path

from leads import report_views

urlpatterns = [
    path("funnel/", report_views.funnel, name="funnel-report"),
]
