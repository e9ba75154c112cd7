from __future__ import annotations

from django.urls import path

from benchmarks.bare import bare_view
from leadflow.urls import urlpatterns as project_urls

urlpatterns = [path("bench/bare/", bare_view), *project_urls]
