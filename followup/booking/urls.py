from __future__ import annotations

from django.urls import path

from followup.booking import views

urlpatterns = [
    path("book/<str:token>/", views.booking_page, name="booking-page"),
    path("book/<str:token>/calendar.ics", views.booking_ics, name="booking-ics"),
]
