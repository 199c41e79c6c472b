"""The notifications' jobs (see `retour.core.jobs`). Arguments are strings: JSON-safe and the same
on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from retour.core.jobs import job, periodic
from retour.notifications import dispatch, reminders


def _enqueue_send(delivery_id: str, run_after: datetime | None = None) -> None:
    task = send_delivery.using(run_after=run_after) if run_after else send_delivery
    task.enqueue(delivery_id)


def _enqueue_dispatch(event_id: str) -> None:
    dispatch_event.enqueue(event_id)


def on_event_emitted(sender, *, event, **kwargs) -> None:
    """`event_emitted` receiver: runs inside the emitting transaction, so the dispatcher job is
    committed (or rolled back) with the event."""
    _enqueue_dispatch(str(event.pk))


@job
def dispatch_event(event_id: str) -> int:
    return dispatch.plan_event(event_id, enqueue_send=_enqueue_send)


@job
def send_delivery(delivery_id: str) -> str:
    return dispatch.send_one(int(delivery_id), enqueue_send=_enqueue_send)


@periodic(
    every=lambda: timedelta(seconds=settings.RETOUR_JOBS["SWEEP_SECONDS"]),
    description="Re-enqueue undelivered outbox events and due or stuck deliveries (30 s).",
)
@job
def sweep_outbox() -> dict:
    return dispatch.sweep(enqueue_dispatch=_enqueue_dispatch, enqueue_send=_enqueue_send)


@periodic(
    every=timedelta(hours=1),
    description="Remind shoppers whose approved return has not shipped, 3 days before it expires.",
)
@job
def send_expiry_reminders() -> int:
    return reminders.remind_expiring_returns()


@periodic(
    every=timedelta(hours=1),
    description="Ask for feedback 2 days after a return is resolved.",
)
@job
def request_feedback() -> int:
    return reminders.request_feedback()
