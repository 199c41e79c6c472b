"""`retour staff --store SLUG --email E --role ROLE`: give someone a role in a store."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from retour.accounts.scopes import Role
from retour.accounts.services import add_member
from retour.commerce.models import Store
from retour.core.actors import Actor


class Command(BaseCommand):
    help = "Create a staff user if needed and set their role in a store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="the store's slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, **options) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store with the slug {options['store']!r}.")
        email = options["email"].strip().lower()
        user, created = get_user_model().objects.get_or_create(
            username=email, defaults={"email": email}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        add_member(store=store, user=user, role=options["role"], actor=Actor.system("command line"))
        self.stdout.write(f"{email} is {options['role']} of {store.slug}.")
        if created:
            self.stdout.write(f"Set a password with: retour changepassword {email}")
