"""The logistics' scheduled jobs (see `retour.core.jobs`, auto-discovered)."""

from __future__ import annotations

from datetime import timedelta

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
