"""The logistics' scheduled jobs (see `retour.core.jobs`, auto-discovered)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from retour.core.actors import Actor
from retour.core.errors import DomainError
from retour.core.jobs import enqueue_retry, job, periodic
from retour.logistics import services
from retour.logistics.adapters.base import CarrierError
from retour.returns.choices import ReturnMethod, ReturnStatus
from retour.returns.models import Return


@periodic(
    every=timedelta(hours=1),
    description="Expire approved returns no carrier scanned within 14 days; void their labels.",
)
@job
def expire_unsent_returns() -> dict:
    outcome = services.expire_unsent_returns()
    return {"expired": outcome.expired, "voided": outcome.voided}


def _poll_interval() -> timedelta:
    return timedelta(minutes=settings.RETOUR_LOGISTICS.get("TRACKING_POLL_MINUTES", 30))


@periodic(
    every=_poll_interval,
    description="Poll tracking of labels whose carrier sent no event for some hours.",
)
@job
def poll_stale_tracking() -> dict:
    outcome = services.poll_stale_tracking()
    return {"polled": outcome.polled, "events": outcome.events, "failed": outcome.failed}


# The parcel of these methods travels with a carrier label; in store and "keep the item" need none.
LABELLED_METHODS = frozenset({ReturnMethod.DROP_OFF, ReturnMethod.PICKUP, ReturnMethod.MAIL})
LABEL_ACTOR = Actor.system("labels")


def on_event_emitted(sender, *, event, **kwargs) -> None:
    """`event_emitted` receiver: once a return is approved, its label is made in the background.
    The job is enqueued in the approving transaction: it exists exactly when the approval does."""
    if event.type != f"return.{ReturnStatus.APPROVED}":
        return
    details = event.payload.get("return", {})
    if details.get("method") in LABELLED_METHODS:
        issue_label_for_return.enqueue(str(details["id"]))


@job
def issue_label_for_return(return_id: str, attempt: int = 0) -> str:
    """Make the label of an approved return (seed step 2). A carrier that is down is tried again
    with backoff; a return that moved on meanwhile (cancelled, labelled by staff) is left alone."""
    return_request = Return.objects.filter(pk=int(return_id)).first()
    if return_request is None or return_request.status != ReturnStatus.APPROVED:
        return "skipped"
    try:
        services.issue_label(return_request=return_request, actor=LABEL_ACTOR)
    except CarrierError as error:
        if error.retryable and enqueue_retry(issue_label_for_return, return_id, attempt=attempt):
            return "retrying"
        return "failed"
    if return_request.method == ReturnMethod.PICKUP:
        book_requested_pickup.enqueue(return_id)
    return "issued"


@job
def book_requested_pickup(return_id: str) -> str:
    """Once the label exists, book the pickup the shopper asked for in the portal. A refusal
    is recorded on the return (`pickup_failed`), which the tracking page tells the shopper."""
    return_request = Return.objects.filter(pk=int(return_id)).first()
    if return_request is None:
        return "skipped"
    try:
        booking = services.book_requested_pickup(return_request=return_request, actor=LABEL_ACTOR)
    except DomainError:  # the carrier's refusal (recorded) or no label any more
        return "failed"
    return "booked" if booking is not None else "none requested"
