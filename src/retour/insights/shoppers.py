"""Shoppers staff should know about: serial returners and abuse suspects, with the evidence.

The evidence is what the risk signals (`returns.risk`) recorded on the shopper's latest return
when it was decided: each signal's name, value and points. A shopper is known by the e-mail of
their orders, within one store.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Max, Q

from retour.commerce.models import Order
from retour.insights.metrics import Slice, percent
from retour.insights.models import ReturnFact
from retour.returns.models import Return

SERIAL_RETURNS = 3  # returns requested in the period that make a serial returner
SUSPECT_SCORE = 50  # a risk score from which a shopper is an abuse suspect
QUEUE_URL = "/dashboard/returns/"


@dataclass(frozen=True)
class Shopper:
    store_slug: str
    email: str
    returns: int  # requested in the period
    orders: int  # placed in the period
    risk: int  # the highest score of their returns in the period
    signals: list[dict]  # of their latest return: name, value, points

    @property
    def suspect(self) -> bool:
        return self.risk >= SUSPECT_SCORE

    @property
    def rate_percent(self):
        return percent(self.returns, self.orders)

    @property
    def link(self) -> str:
        return QUEUE_URL + "?" + urlencode([("store", self.store_slug), ("q", self.email)])


def watch_list(scope: Slice, limit: int = 50) -> list[Shopper]:
    """Serial returners and suspects of the period, most returns first (three queries). The
    returns are read from `ReturnFact` (shopper and risk score copied by the rollup's refresh):
    grouping the period's returns joined to their orders, with the decision's JSON on the same
    wide rows, took over a second for two years at 1,000,000 orders."""
    groups = list(
        ReturnFact.objects.filter(
            store_id__in=scope.store_ids,
            requested_at__gte=scope.since,
            requested_at__lt=scope.until,
            live=True,
        )
        .values("store_id", "store__slug", "email")
        .annotate(returns=Count("pk"), risk=Max("risk"), latest=Max("pk"))
        .filter(Q(returns__gte=SERIAL_RETURNS) | Q(risk__gte=SUSPECT_SCORE))
        .order_by("-returns", "-risk", "email")[:limit]
    )
    if not groups:
        return []
    signals = dict(
        Return.objects.filter(pk__in=[g["latest"] for g in groups]).values_list(
            "pk", "decision__risk__signals"
        )
    )
    orders = {
        (row["store_id"], row["email"]): row["n"]
        for row in Order.objects.filter(
            store_id__in={g["store_id"] for g in groups},
            email__in={g["email"] for g in groups},
            placed_at__gte=scope.since,
            placed_at__lt=scope.until,
        )
        .values("store_id", "email")
        .annotate(n=Count("pk"))
    }
    return [
        Shopper(
            store_slug=g["store__slug"],
            email=g["email"],
            returns=g["returns"],
            orders=orders.get((g["store_id"], g["email"]), 0),
            risk=g["risk"] or 0,
            signals=signals.get(g["latest"]) or [],
        )
        for g in groups
    ]
