from __future__ import annotations

from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.person, name="privacy-person"),
    path("privacy/export/<slug:fmt>/", views.export, name="privacy-export"),
    path("privacy/erase/", views.erase, name="privacy-erase"),
    path("privacy/erasures/<int:pk>/", views.receipt, name="privacy-receipt"),
    path("privacy/leads/<int:pk>/", views.lead_audit, name="privacy-lead-audit"),
]
