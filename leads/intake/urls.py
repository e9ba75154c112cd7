from __future__ import annotations

from django.urls import path

from leads.intake import views

# Mounted under hooks/<dealer_slug>/ (leadflow/urls.py).
urlpatterns = [
    path("leads/", views.lead_webhook, name="lead-webhook"),
    path("google-ads/", views.google_ads_webhook, name="google-ads-webhook"),
    path("meta/", views.meta_webhook, name="meta-webhook"),
    path("inventory/", views.inventory_webhook, name="inventory-webhook"),
]
