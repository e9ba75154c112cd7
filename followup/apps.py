from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        # Email and WhatsApp: anymail's signals, and with them the outbox tasks and admin.
        import followup.booking.tasks  # noqa: F401  (the booking page's notice task)
        import followup.message_receivers  # noqa: F401
        from followup import receivers  # noqa: F401  (connects to leads.signals.lead_received)
        from followup.engine import FollowupEngine
        from leads import engine

        engine.register(FollowupEngine())
