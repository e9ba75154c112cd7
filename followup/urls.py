from __future__ import annotations

from django.urls import include, path

from followup import message_views, sms_views, template_views, views

# Twilio's voice callbacks and the sandbox phones, reversed as "followup:<name>".
voice_patterns = [
    path("twilio/voice/<int:call_id>/answer/", views.voice_answer, name="voice-answer"),
    path("twilio/voice/<int:call_id>/gather/", views.voice_gather, name="voice-gather"),
    path("twilio/voice/<int:call_id>/dial/", views.voice_dial, name="voice-dial"),
    path("twilio/voice/<int:call_id>/status/", views.voice_status, name="voice-status"),
    path("twilio/voice/<int:call_id>/customer/", views.voice_customer, name="voice-customer"),
    path("sandbox/", views.sandbox_page, name="sandbox"),
    path("sandbox/calls/<int:call_id>/<slug:action>/", views.sandbox_act, name="sandbox-act"),
]

urlpatterns = [
    path("", include((voice_patterns, "followup"))),
    path(
        "twilio/messages/status/",
        message_views.twilio_message_status,
        name="twilio-message-status",
    ),
    path(
        "twilio/messages/inbound/",
        message_views.twilio_message_inbound,
        name="twilio-message-inbound",
    ),
    path("twilio/sms/inbound/", sms_views.twilio_sms_inbound, name="twilio-sms-inbound"),
    path("u/<str:token>/", message_views.unsubscribe, name="message-unsubscribe"),
    path("sandbox/messages/", message_views.sandbox_messages, name="sandbox-messages"),
    path("sandbox/messages/reply/", message_views.sandbox_reply, name="sandbox-messages-reply"),
    path("templates/", template_views.template_list, name="message-template-list"),
    path("templates/sync/", template_views.template_sync, name="message-template-sync"),
    path(
        "templates/<str:channel>/<str:purpose>/<str:language>/",
        template_views.template_edit,
        name="message-template-edit",
    ),
]
