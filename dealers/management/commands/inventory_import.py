from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dealers.inventory import (
    InventoryInvalid,
    InventoryUnreadable,
    inventory_import,
    inventory_parse,
)
from dealers.models import Dealer


class Command(BaseCommand):
    help = (
        "Apply an inventory file (CSV or JSON, as POST /hooks/<dealer>/inventory/ takes it) "
        "to a dealer's stock. All or nothing; running it twice changes nothing the second time."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path to the .csv or .json file")
        parser.add_argument("--dealer", required=True, help="the dealer's slug")
        parser.add_argument(
            "--format", choices=["csv", "json"], help="default: from the file's extension"
        )
        parser.add_argument(
            "--complete",
            action="store_true",
            help="the file lists the whole stock: cars missing from it are marked sold",
        )

    def handle(self, *args, **options) -> None:
        try:
            dealer = Dealer.objects.get(slug=options["dealer"])
        except Dealer.DoesNotExist:
            raise CommandError(f"No dealer {options['dealer']!r}") from None
        path = Path(options["file"])
        fmt = options["format"] or path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "json"):
            raise CommandError(f"Cannot tell the format of {path.name}; pass --format csv|json")
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        try:
            rows, complete = inventory_parse(body, fmt=fmt)
            result = inventory_import(
                dealer=dealer, rows=rows, complete=complete or options["complete"]
            )
        except InventoryUnreadable as exc:
            raise CommandError(f"{path.name}: {exc.message}") from None
        except InventoryInvalid as exc:
            lines = [f"  {where}: {'; '.join(problems)}" for where, problems in exc.errors.items()]
            raise CommandError(
                f"{path.name}: nothing was changed:\n" + "\n".join(lines[:50])
            ) from None
        self.stdout.write(
            f"{dealer.slug}: {result.created} new, {result.updated} changed, "
            f"{result.unchanged} unchanged, {result.sold} marked sold"
        )
