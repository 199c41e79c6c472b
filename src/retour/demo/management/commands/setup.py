"""`retour setup [--demo]`: migrate, collect static files, make the installation's Web Push (VAPID)
key pair, load the demo shop, print its URLs."""

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from retour.accounts.scopes import Scope
from retour.accounts.services import create_api_key
from retour.commerce.models import Order, Store
from retour.demo.generator import ACTOR, DEMO_PASSWORD, OWNER_EMAIL, generate
from retour.notifications.vapid import installation_key
from retour.returns.selectors import order_lines_with_quantities

DEMO_KEY_NAME = "Demo key"


class Command(BaseCommand):
    help = "Prepare the database and static files; with --demo, load the demo shop once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="load the demo shop if absent")
        parser.add_argument("--orders", type=int, default=300, help="demo orders per store")

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        installation_key()  # made once here rather than by the first tracking page that asks
        self.stdout.write("Database migrated, static files collected, Web Push key ready.")
        if not options["demo"]:
            return
        if Store.objects.filter(slug="demo-fr").exists():
            self.stdout.write("Demo shop already loaded.")
        else:
            self.stdout.write("Loading the demo shop…")
            generate(orders=options["orders"], progress=self.stdout.write)
        self._summary(self._demo_key())

    def _demo_key(self) -> str | None:
        """A demo API key with every scope, created once; its secret exists only in this output."""
        store = Store.objects.get(slug="demo-fr")
        if store.api_keys.filter(name=DEMO_KEY_NAME).exists():
            return None
        _api_key, raw_key = create_api_key(
            store=store, name=DEMO_KEY_NAME, scopes=Scope.values, actor=ACTOR
        )
        return raw_key

    def _summary(self, raw_key: str | None) -> None:
        base = f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"
        order = sample_order("demo-fr")
        rows = [
            ("Shopper portal", f"{base}/returns/demo-fr/  ·  {base}/returns/demo-en/"),
            ("Dashboard", f"{base}/dashboard/"),
            ("API docs", f"{base}/api/v1/docs"),
            ("Health", f"{base}/healthz"),
            ("Staff login", f"{OWNER_EMAIL} / {DEMO_PASSWORD}"),
        ]
        if order is not None:
            rows.append(("Sample order", f"{order.number} · {order.email} (demo-fr)"))
        if raw_key:
            rows.append(("API key (demo-fr)", f"{raw_key}  ← shown once, copy it now"))
        else:
            rows.append(("API key (demo-fr)", "created earlier (keys are shown only once)"))
        self.stdout.write(_box(rows))


def sample_order(slug: str) -> Order | None:
    """A recent order of the store with a delivered line that can still be returned."""
    candidates = (
        Order.objects.filter(
            store__slug=slug, fulfillments__delivered_at__isnull=False, returns__isnull=True
        )
        .order_by("-placed_at")
        .distinct()[:20]
    )
    for order in candidates:
        if any(line.returnable_qty > 0 for line in order_lines_with_quantities(order.pk)):
            return order
    return None


def _box(rows: list[tuple[str, str]]) -> str:
    label_width = max(len(label) for label, _value in rows)
    lines = [f"{label.ljust(label_width)}  {value}" for label, value in rows]
    width = max(len(line) for line in lines)
    border = "─" * (width + 2)
    body = [f"│ {line.ljust(width)} │" for line in lines]
    return "\n".join([f"┌{border}┐", *body, f"└{border}┘"])
