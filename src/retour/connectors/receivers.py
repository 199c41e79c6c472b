"""Refunds, restocks and store credit written back to the shop's platform: planned from the
outbox events, in the transaction that emits them (a rolled-back change plans nothing)."""

from django.dispatch import receiver

from retour.connectors import services
from retour.events.models import OutboxEvent
from retour.events.outbox import event_emitted


@receiver(event_emitted, sender=OutboxEvent, dispatch_uid="connectors-write-back")
def plan_write_backs(sender, event: OutboxEvent, **kwargs) -> None:
    if event.type in services.WRITTEN_BACK:
        services.plan_write_backs(
            event_id=event.id, event_type=event.type, store_id=event.store_id, payload=event.payload
        )
