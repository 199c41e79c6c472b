"""`retour demo-data`: create the demo shops (skipped when they already exist)."""

from django.core.management.base import BaseCommand, CommandParser

from retour.demo.data import STORES
from retour.demo.generator import generate


class Command(BaseCommand):
    help = "Create the demo stores demo-fr and demo-en with orders, returns and staff logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=300, help="orders per store")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--store-slugs", nargs="+", choices=sorted(STORES), default=None, metavar="SLUG"
        )
        parser.add_argument(
            "--returns",
            type=int,
            default=None,
            help="returns per store (default: 5%% of orders, at most 1,000)",
        )

    def handle(self, *args, **options) -> None:
        report = generate(
            orders=options["orders"],
            seed=options["seed"],
            store_slugs=options["store_slugs"],
            returns=options["returns"],
            progress=self.stdout.write,
        )
        if report.created:
            self.stdout.write(
                f"Created {', '.join(report.created)}: {report.orders:,} orders, "
                f"{report.returns:,} returns, {report.claims} claims."
            )
        else:
            self.stdout.write("Nothing to do: the demo stores already exist.")
