"""The connectors' jobs: apply an inbound event, send a write-back, page through a backfill, poll
platforms without webhooks. Each is idempotent; failures retry with backoff (`core.jobs`)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from retour.connectors import services
from retour.connectors.adapters.base import ConnectorError
from retour.connectors.models import Connection
from retour.core.jobs import enqueue_in, enqueue_retry, job, periodic


@job
def apply_event(event_id: int, attempt: int = 1) -> str:
    try:
        return services.apply_event(event_id).status
    except ConnectorError:
        enqueue_retry(apply_event, event_id, attempt=attempt)
        return "retrying"


@job
def push_write_back(write_back_id: int, attempt: int = 1) -> str:
    """Send a write-back; a platform that is down is tried again with backoff, and after the
    last try the write-back is failed and shown on its return (never dropped)."""
    try:
        return services.push_write_back(write_back_id).status
    except ConnectorError as error:
        if not enqueue_retry(push_write_back, write_back_id, attempt=attempt):
            return services.fail_write_back(write_back_id, error.message).status
        return "retrying"


@job
def backfill(connection_id: int, attempt: int = 1) -> str:
    """One page, then the next page as a new job: a stopped worker resumes from the cursor."""
    try:
        step = services.backfill_page(connection_id)
    except ConnectorError as error:
        services.note_error(connection_id, error.message)
        if error.retryable:
            enqueue_retry(backfill, connection_id, attempt=attempt)
        return "failed"
    if not step.done:
        enqueue_in(backfill, 0, connection_id)
    return "done" if step.done else "more"


@job
def bulk_backfill(connection_id: int, attempt: int = 1) -> str:
    """A first backfill through the platform's bulk export, one short step a run (start it, ask
    whether it is ready, import a part of its file), the next run enqueued after the step's
    wait: the export takes minutes or hours on the platform's side, never a worker's. Once it
    is over (or given up) the paged backfill reads what changed since it began."""
    try:
        step = services.bulk_backfill_step(connection_id)
    except ConnectorError as error:
        services.note_error(connection_id, error.message)
        if error.retryable and enqueue_retry(bulk_backfill, connection_id, attempt=attempt):
            return "retrying"
        services.give_up_export(connection_id, error.message)
        backfill.enqueue(connection_id)
        return "failed"
    if step.wait is None:
        backfill.enqueue(connection_id)
        return "done"
    enqueue_in(bulk_backfill, step.wait, connection_id)
    return "more"


def _poll_every() -> timedelta:
    return timedelta(minutes=settings.RETOUR_CONNECTORS["POLL_MINUTES"])


@periodic(every=_poll_every, description="Read new orders from platforms without webhooks")
@job
def poll_platforms() -> int:
    """PrestaShop sends no webhooks: its connections read the orders changed since the cursor."""
    connections = Connection.objects.filter(active=True, platform__in=services.POLLED)
    for connection_id in connections.values_list("pk", flat=True):
        backfill.enqueue(connection_id)
    return connections.count()
