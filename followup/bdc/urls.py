from __future__ import annotations

from django.urls import path

from followup.bdc import views

urlpatterns = [
    path("bdc/", views.bdc_worklist, name="bdc-worklist"),
]
