from __future__ import annotations

from django.urls import path

from followup import views

app_name = "followup"

urlpatterns = [
    path("twilio/voice/<int:call_id>/answer/", views.voice_answer, name="voice-answer"),
    path("twilio/voice/<int:call_id>/gather/", views.voice_gather, name="voice-gather"),
    path("twilio/voice/<int:call_id>/dial/", views.voice_dial, name="voice-dial"),
    path("twilio/voice/<int:call_id>/status/", views.voice_status, name="voice-status"),
    path("twilio/voice/<int:call_id>/customer/", views.voice_customer, name="voice-customer"),
    path("sandbox/", views.sandbox_page, name="sandbox"),
    path("sandbox/calls/<int:call_id>/<slug:action>/", views.sandbox_act, name="sandbox-act"),
]
