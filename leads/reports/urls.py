from __future__ import annotations

from django.urls import path

from leads.reports import views

urlpatterns = [
    path("funnel/", views.funnel, name="funnel-report"),
]
