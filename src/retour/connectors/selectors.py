"""What the connection page reads: a store's connections and their health (the latest events,
the write-backs that failed), each a fixed number of queries however many rows there are."""

from __future__ import annotations

from dataclasses import dataclass

from retour.connectors.choices import WriteBackStatus
from retour.connectors.models import Connection, InboundEvent, WriteBack

EVENTS_SHOWN = 50
FAILED_SHOWN = 100


@dataclass(frozen=True)
class Health:
    connection: Connection
    events: list[InboundEvent]
    failed_write_backs: list[WriteBack]
    skipped_write_backs: list[WriteBack]


def connection_of(store_id: int, platform: str) -> Connection | None:
    return Connection.objects.filter(store_id=store_id, platform=platform).first()


def health(connection: Connection) -> Health:
    """The connection's latest events (without their raw body), its failed write-backs and those
    the platform could not take (skipped), with their return: three queries."""
    events = list(
        InboundEvent.objects.filter(connection=connection)
        .defer("body", "headers")
        .order_by("-received_at", "-id")[:EVENTS_SHOWN]
    )
    return Health(
        connection,
        events,
        _write_backs(connection, WriteBackStatus.FAILED),
        _write_backs(connection, WriteBackStatus.SKIPPED),
    )


def _write_backs(connection: Connection, status: str) -> list[WriteBack]:
    return list(
        WriteBack.objects.filter(connection=connection, status=status)
        .select_related("return_request")
        .defer("source", "request")
        .order_by("-created_at", "-id")[:FAILED_SHOWN]
    )
