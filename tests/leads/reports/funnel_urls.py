"""The project's URLs, plus a 'logout' route if the login pages (another branch) are absent:
base.html links to it."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import NoReverseMatch, path, reverse

from leadflow.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
try:
    reverse("logout", urlconf="leadflow.urls")
except NoReverseMatch:
    urlpatterns.append(path("logout/", auth_views.LogoutView.as_view(), name="logout"))
