"""A receiving station as a process of its own, for the PostgreSQL concurrency test.

Started with the `spawn` method: the child is a fresh interpreter (nothing inherited from the
test process, in particular not its database sockets), sets Django up against the test
database it is given, and opens its own session. Nothing Django is imported at module level:
the child imports this module before Django is set up.
"""

import os
import time

HOLD_SECONDS = 0.4


def receive_in_process(database_url, return_id, quantities, barrier, results) -> None:
    """Receive the return once every station is ready, holding a moment inside the service
    (after it has checked for an earlier receipt), and report how it ended."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retour.settings")
    import django

    django.setup()
    from django.db import connections

    from retour.core.actors import Actor
    from retour.returns import services as returns
    from retour.returns.models import Return
    from retour.warehouse import services

    receive = returns.receive_lines

    def received_slowly(**kwargs):
        time.sleep(HOLD_SECONDS)
        return receive(**kwargs)

    returns.receive_lines = received_slowly
    try:
        return_request = Return.objects.get(pk=return_id)  # connected before the start line
        barrier.wait(timeout=60)
        services.receive_parcel(
            return_request=return_request,
            warehouse=None,
            quantities=quantities,
            actor=Actor.system(f"station {os.getpid()}"),
        )
        results.put("received")
    except services.AlreadyReceived:
        results.put("already received")
    except Exception as exc:  # noqa: BLE001 - reported by the test's assertion
        results.put(repr(exc))
    finally:
        connections.close_all()
