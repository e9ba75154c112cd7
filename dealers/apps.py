from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealersConfig(AppConfig):
    name = "dealers"
    verbose_name = _("Dealers")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from dealers.two_factor import remember_at_sign_in

        user_logged_in.connect(remember_at_sign_in, dispatch_uid="leadflow-two-factor")
