"""`retour api-key --store SLUG --name NAME [--scope S …]`: create a store's API key, shown once.
`retour api-key --store SLUG --revoke PREFIX`: revoke it."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retour.accounts.models import ApiKey
from retour.accounts.scopes import Scope
from retour.accounts.services import create_api_key, revoke_api_key
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import DomainError

CLI = Actor.system("command line")


class Command(BaseCommand):
    help = "Create (or revoke) a store's API key. The key is printed once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="the store's slug")
        parser.add_argument("--name", help="what the key is for, e.g. 'Shopify sync'")
        parser.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            help="a scope to grant (repeat); every scope when omitted",
        )
        parser.add_argument("--revoke", metavar="PREFIX", help="revoke the key with this prefix")

    def handle(self, *args, **options) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with the slug {options['store']!r}.")
        if options["revoke"]:
            self._revoke(store, options["revoke"])
            return
        if not options["name"]:
            raise CommandError("--name is required to create a key.")
        try:
            api_key, raw_key = create_api_key(
                store=store,
                name=options["name"],
                scopes=options["scope"] or Scope.values,
                actor=CLI,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"API key {api_key.prefix}… for {store.slug}: {', '.join(api_key.scopes)}"
        )
        self.stdout.write(raw_key)
        self.stdout.write("Copy it now: it is not stored and cannot be shown again.")

    def _revoke(self, store: Store, prefix: str) -> None:
        api_key = ApiKey.objects.filter(store=store, prefix=prefix, revoked_at__isnull=True).first()
        if api_key is None:
            raise CommandError(f"No active key with the prefix {prefix!r} in {store.slug}.")
        revoke_api_key(api_key=api_key, actor=CLI)
        self.stdout.write(f"Revoked {api_key.prefix}…")
