# ruff: noqa: N999 - the command is `retour import`, so the module is named import
"""`retour import orders FILE --store SLUG [--dry-run]`: bulk import of orders (see `bulk`)."""

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from retour.commerce.models import Store
from retour.connectors.bulk import ImportReport, import_orders
from retour.core.actors import Actor

MAX_ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = "Import orders from a CSV or JSON Lines file (streamed; --dry-run only validates)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["orders"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--store", required=True, help="the store's slug")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--batch", type=int, default=settings.RETOUR_CONNECTORS["IMPORT_BATCH"])
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.RETOUR_CONNECTORS["IMPORT_WORKERS"],
            help="processes validating (and on PostgreSQL writing) the batches",
        )

    def handle(self, *args, **options):
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"no store {options['store']!r}")
        started = time.monotonic()

        def progress(report: ImportReport) -> None:
            rate = report.read / max(time.monotonic() - started, 1e-9)
            sys.stderr.write(
                f"\r{report.read:,} read · {report.created:,} created · "
                f"{len(report.errors):,} errors · {rate:,.0f}/s"
            )

        with options["file"].open(encoding="utf-8", newline="") as handle:
            report = import_orders(
                store=store,
                path=options["file"],
                handle=handle,
                actor=Actor.system("import"),
                dry_run=options["dry_run"],
                batch_size=options["batch"],
                workers=options["workers"],
                progress=progress,
            )
        sys.stderr.write("\n")
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            self.stdout.write(f"row {error.row}: {error.field}: {error.message}")
        self.stdout.write(
            f"{report.read} read, {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.errors)} with errors"
            + (" (dry run: nothing written)" if options["dry_run"] else "")
        )
