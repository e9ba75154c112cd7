from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from followup import receivers  # noqa: F401  (connects to leads.signals.lead_received)
        from followup.engine import FollowupEngine
        from leads import engine

        engine.register(FollowupEngine())
