from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        # The tasks register under the names followup.queue sends by, also in the web process
        # (eager mode runs them there); anymail's signals for email and WhatsApp.
        import followup.bdc.tasks  # noqa: F401  (the BDC's morning hand-back)
        import followup.booking.tasks  # noqa: F401
        import followup.message_receivers  # noqa: F401
        import followup.message_tasks  # noqa: F401
        import followup.tasks  # noqa: F401
        from followup import receivers  # noqa: F401  (connects to leads.signals.lead_received)
        from followup.engine import FollowupEngine
        from leads import engine

        engine.register(FollowupEngine())
