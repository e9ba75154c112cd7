from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from dealers.hours import WEEKDAYS
from dealers.models import Dealer, Salesperson
from leads.management.commands._demo_history import seed_history

# Open around the clock, so that a lead posted at any hour while trying LeadFlow on a laptop
# rings a salesperson; real dealers set their hours and BDC hour in the admin.
ALL_DAY = {day: [["00:00", "24:00"]] for day in WEEKDAYS}

CAST = [
    # username, first, last, role, phone
    ("sales1", "Lena", "Becker", Salesperson.Role.SALESPERSON, "+4915110000001"),
    ("sales2", "Jonas", "Wagner", Salesperson.Role.SALESPERSON, "+4915110000002"),
    ("manager", "Petra", "Hoffmann", Salesperson.Role.MANAGER, "+4915110000003"),
    ("bdc", "Murat", "Yilmaz", Salesperson.Role.BDC, "+4915110000004"),
]


class Command(BaseCommand):
    help = (
        "Create the demo dealer 'demo' with its staff, and with --history N, N weeks of leads. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="WEEKS",
            help="Fill this many complete weeks (plus the current one) with realistic leads; "
            "skipped when the demo dealer already has history.",
        )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            dealer, created = Dealer.objects.get_or_create(
                slug="demo",
                defaults={
                    "name": "Autohaus Demo",
                    "time_zone": "Europe/Berlin",
                    "country": "DE",
                    "language": "de",
                    "opening_hours": ALL_DAY,
                    "contact_hours": ALL_DAY,
                    "bdc_hour": dt.time(23, 59),
                    "caller_id": "+4930901820",
                    "bdc_phone": "+4930901829",
                    "bdc_email": "bdc@autohaus-demo.example",
                    "whatsapp_sender": "+4930901820",
                    "email_from": "verkauf@autohaus-demo.example",
                    "inbound_email": "leads@autohaus-demo.example",
                    "google_key": "demo-google-key",
                    "meta_verify_token": "demo-meta-verify",
                },
            )
            self.stdout.write(f"Dealer: {dealer.name} ({'created' if created else 'exists'})")
            User = get_user_model()
            for username, first, last, role, phone in CAST:
                user, made = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@autohaus-demo.example",
                        "is_staff": role == Salesperson.Role.MANAGER,
                    },
                )
                if made:
                    user.set_password(settings.LEADFLOW_DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                Salesperson.objects.get_or_create(
                    user=user, defaults={"dealer": dealer, "role": role, "phone": phone}
                )
            # The dealer's IT person: the admin (dealers, tokens, intake records and replay).
            admin, made = User.objects.get_or_create(
                username="admin",
                defaults={
                    "email": "it@autohaus-demo.example",
                    "is_staff": True,
                    "is_superuser": True,
                },
            )
            if made:
                admin.set_password(settings.LEADFLOW_DEMO_PASSWORD)
                admin.save(update_fields=["password"])
            self._token(dealer)
        if options["history"] > 0:
            history = seed_history(dealer=dealer, weeks=options["history"])
            if history:
                self.stdout.write(f"History: {history} leads over {options['history']} weeks")
            else:
                self.stdout.write("History: exists, unchanged")

    def _token(self, dealer: Dealer) -> None:
        wanted = settings.LEADFLOW_DEMO_TOKEN
        if wanted:
            if not dealer.webhook_token_matches(wanted):
                dealer.set_webhook_token(wanted)
            self.stdout.write(f"Webhook token: {wanted}")
        elif not dealer.webhook_token_hash:
            self.stdout.write(f"Webhook token (shown once): {dealer.rotate_webhook_token()}")
        else:
            self.stdout.write("Webhook token: unchanged (set LEADFLOW_DEMO_TOKEN to choose one)")
