"""Seed a database for the crash test and the bench (run in a subprocess with DATABASE_URL set):
one store with a webhook endpoint, one return, and N outbox events. Prints the event ids (JSON)."""

import json
import sys

import django


def main() -> None:
    count, webhook_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    django.setup()
    from django.db import transaction

    from retour.events.outbox import emit
    from retour.notifications.models import WebhookEndpoint
    from tests.factories import ReturnFactory, StoreFactory

    store = StoreFactory(slug="crash", name="Crash Shop", reasons=False)
    return_request = ReturnFactory(order__store=store, locale="fr")
    if webhook_url != "-":
        WebhookEndpoint.objects.create(store=store, url=webhook_url, secret=secret)
    ids = []
    with transaction.atomic():
        for number in range(count):
            event = emit(
                "return.approved",
                store_id=store.pk,
                payload={
                    "return": {"id": return_request.pk, "rma": return_request.rma},
                    "n": number,
                },
            )
            ids.append(str(event.pk))
    print(json.dumps(ids))  # noqa: T201 - the output the caller reads


if __name__ == "__main__":
    main()
