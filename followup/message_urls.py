from __future__ import annotations

from django.urls import path

from followup import message_views, template_views

urlpatterns = [
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
