from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dealers.models import Dealer
from privacy.erase import person_erase
from privacy.identity import PersonUnknown


class Command(BaseCommand):
    help = "Erase one person's data at one dealer (GDPR Art. 17) and print the receipt."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dealer", required=True, help="the dealer's slug")
        parser.add_argument("--phone", default="", help="as people write it; normalised")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--by", default="", help="who asked for it (default: the system user running this)"
        )

    def handle(self, *args, dealer: str, phone: str, email: str, by: str, **options) -> None:
        found = Dealer.objects.filter(slug=dealer).first()
        if found is None:
            raise CommandError(f"no dealer {dealer!r}")
        if not by:
            import getpass

            by = f"{getpass.getuser()} (manage.py)"
        try:
            receipt = person_erase(dealer=found, phone=phone, email=email, by=by, via="command")
        except PersonUnknown as exc:
            raise CommandError(str(exc)) from None
        counts = ", ".join(f"{name} {count}" for name, count in receipt.counts.items())
        self.stdout.write(
            f"erasure receipt {receipt.pk}: {len(receipt.lead_ids)} lead(s) anonymised; {counts}; "
            f"Twilio deleted {receipt.provider_deleted}, pending {len(receipt.provider_pending)}; "
            f"suppressed: {'yes' if receipt.suppressed else 'no'}"
        )
