from __future__ import annotations

from django.urls import path

from dealers import push_views

urlpatterns = [
    path("me/notifications/", push_views.notifications, name="notifications"),
    path("me/notifications/subscribe/", push_views.subscribe, name="notifications-subscribe"),
    path("me/notifications/<int:pk>/test/", push_views.test_push, name="notifications-test"),
    path("me/notifications/<int:pk>/remove/", push_views.remove, name="notifications-remove"),
]
