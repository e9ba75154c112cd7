from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        # The receivers connect to intake's lead_received and to anymail's signals; the tasks
        # register under the names followup.queue sends by, in the web process too (eager
        # mode runs them there).
        import followup.bdc.tasks  # noqa: F401  (the BDC's morning hand-back)
        import followup.receivers  # noqa: F401
        import followup.tasks  # noqa: F401
        from followup.engine import FollowupEngine
        from leads import engine

        engine.register(FollowupEngine())
