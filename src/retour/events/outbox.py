"""`emit()`: record a domain event in the outbox, inside the caller's transaction.

The event row and the job that will deliver it are written in the transaction of the change they
describe: if it rolls back, neither exists; once it commits, both do. Delivery is at least once,
recognised by the event's id. This module sits low (above `commerce`, below every domain that
emits) so that `returns`, `refunds` or `logistics` can emit without importing `notifications`,
which subscribes to `event_emitted` instead.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

from retour.events.models import OutboxEvent

PAYLOAD_VERSION = 1

# Sent inside the emitting transaction with `event=`; the notifications app enqueues its
# dispatcher from it (the job row commits or rolls back with the event).
event_emitted = Signal()


def emit(event_type: str, *, store_id: int, payload: dict[str, Any]) -> OutboxEvent:
    """Write `event_type` (e.g. `return.approved`) for `store_id` in the current transaction.

    `payload` must be JSON-serialisable and self-contained: it is what webhooks receive, as the
    facts stood when the event happened.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction of the change it describes")
    event = OutboxEvent.objects.create(store_id=store_id, type=event_type, payload=payload)
    event_emitted.send(sender=OutboxEvent, event=event)
    return event
