from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        from anymail.signals import inbound

        from leads.intake.inbound_email import inbound_email_received

        inbound.connect(inbound_email_received, dispatch_uid="leads.inbound_adf")
