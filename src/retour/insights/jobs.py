"""The insights' scheduled job (see `retour.core.jobs`, auto-discovered)."""

from datetime import timedelta

from retour.core.jobs import job, periodic
from retour.insights import rollups


@periodic(
    every=timedelta(minutes=15),
    description="Refresh the return-rate rollup of the days whose orders or returns changed.",
)
@job
def refresh_rollups() -> dict:
    done = rollups.refresh_all()
    return {"stores": len(done), "days": sum(r.days for r in done)}
