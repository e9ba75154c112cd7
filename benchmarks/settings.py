"""Settings for benchmark servers: the project's, plus the bare floor view's URL."""

from __future__ import annotations

from leadflow.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
AXES_ENABLED = False
