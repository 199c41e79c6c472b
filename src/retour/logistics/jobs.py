"""The logistics' scheduled jobs (see `retour.core.jobs`, auto-discovered)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from retour.core.jobs import job, periodic
from retour.logistics import services


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
