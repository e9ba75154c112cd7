from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from dealers.models import Dealer
from leadflow.lib.csv_export import csv_text
from leads.reports.funnel import funnel_report
from leads.reports.weeks import Week


class Command(BaseCommand):
    help = "Print a dealer's weekly funnel (the numbers of /reports/funnel/) as JSON or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dealer", required=True, help="the dealer's slug")
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last complete week)")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--table", help="CSV: only this table (default: all, one after another)"
        )

    def handle(self, *args, **options) -> None:
        try:
            dealer = Dealer.objects.get(slug=options["dealer"])
        except Dealer.DoesNotExist:
            raise CommandError(f"No dealer {options['dealer']!r}") from None
        try:
            week = (
                Week.parse(options["week"], dealer.tz)
                if options["week"]
                else Week.last_complete(dealer.tz)
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        report = funnel_report(dealer=dealer, week=week)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
            return
        tables = report.tables()
        if options["table"]:
            if options["table"] not in tables:
                raise CommandError(f"No table {options['table']!r}; one of {', '.join(tables)}")
            tables = {options["table"]: tables[options["table"]]}
        for index, (name, rows) in enumerate(tables.items()):
            if len(tables) > 1:
                self.stdout.write(("\n" if index else "") + f"# {name}")
            self.stdout.write(csv_text(rows), ending="")
