"""Figures about a store's returns, for the dashboard's overview (and the insights to come).

Every function takes the ids of the stores the caller may see and makes a fixed number of
queries, whatever the number of returns: counts and sums are done by the database, and the
percentiles of the time to refund are read as the k-th row of an ordered query (nearest rank),
never by loading every duration.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from retour.commerce.models import Order
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnLine, ReturnReason

# What staff have to act on, bucket → the statuses in it (the queue filters by these).
WORK = {
    "to_review": (ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW),
    "arriving": (ReturnStatus.LABEL_ISSUED, ReturnStatus.IN_TRANSIT, ReturnStatus.DELIVERED),
    "to_inspect": (ReturnStatus.RECEIVED,),
    "to_refund": (ReturnStatus.INSPECTED,),
}


def todays_work(store_ids: list[int]) -> dict[str, int]:
    """How many returns wait in each bucket of `WORK` (one query)."""
    counts = Return.objects.filter(store_id__in=store_ids).aggregate(
        **{bucket: Count("pk", filter=Q(status__in=statuses)) for bucket, statuses in WORK.items()}
    )
    return {bucket: counts[bucket] or 0 for bucket in WORK}


def returns_per_day(store_ids: list[int], *, since: datetime, days: int) -> list[tuple[date, int]]:
    """The returns requested each day from `since` on, `days` days, empty days at 0 (one query)."""
    rows = dict(
        Return.objects.filter(store_id__in=store_ids, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day")
        .annotate(count=Count("pk"))
        .values_list("day", "count")
    )
    first = timezone.localtime(since).date()
    return [(first + timedelta(n), rows.get(first + timedelta(n), 0)) for n in range(days)]


@dataclass(frozen=True)
class ReturnRate:
    returns: int
    orders: int

    @property
    def percent(self) -> Decimal | None:
        """Returns per 100 orders, to one decimal; None without orders."""
        if not self.orders:
            return None
        return (Decimal(100 * self.returns) / self.orders).quantize(Decimal("0.1"))


def return_rate(store_ids: list[int], *, since: datetime) -> ReturnRate:
    """Returns requested since `since` against orders placed since then (two queries)."""
    return ReturnRate(
        returns=Return.objects.filter(store_id__in=store_ids, created_at__gte=since).count(),
        orders=Order.objects.filter(store_id__in=store_ids, placed_at__gte=since).count(),
    )


@dataclass(frozen=True)
class ReasonCount:
    reason: ReturnReason  # its code and labels only
    units: int


def top_reasons(store_ids: list[int], *, since: datetime, limit: int = 5) -> list[ReasonCount]:
    """The reasons given for the most units returned since `since` (one query)."""
    rows = (
        ReturnLine.objects.filter(
            return_request__store_id__in=store_ids,
            return_request__created_at__gte=since,
            reason__isnull=False,
        )
        .values("reason__code", "reason__labels")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "reason__code")[:limit]
    )
    return [
        ReasonCount(
            ReturnReason(code=row["reason__code"], labels=row["reason__labels"]), row["units"]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Durations:
    count: int
    p50: timedelta | None
    p90: timedelta | None


def time_to_refund(
    store_ids: list[int], *, since: datetime, until: datetime | None = None
) -> Durations:
    """From the request to its resolution (refund, credit or exchange), for the returns resolved
    since `since` (and before `until`): the median and the 90th percentile (three queries)."""
    resolved = ReturnEvent.objects.filter(
        return_request__store_id__in=store_ids,
        to_status=ReturnStatus.RESOLVED,
        created_at__gte=since,
    ).annotate(waited=F("created_at") - F("return_request__created_at"))
    if until is not None:
        resolved = resolved.filter(created_at__lt=until)
    count = resolved.count()

    def percentile(p: float) -> timedelta | None:
        if not count:
            return None
        rank = max(1, math.ceil(p * count))
        return resolved.order_by("waited", "pk").values_list("waited", flat=True)[rank - 1]

    return Durations(count, percentile(0.5), percentile(0.9))


@dataclass(frozen=True)
class FeedbackScore:
    count: int
    average: Decimal | None  # out of 5, to one decimal


def feedback_score(store_ids: list[int], *, since: datetime) -> FeedbackScore:
    """The shoppers' satisfaction (1 to 5) given since `since` (one query). The survey lives in
    the portal; it is read here through the return's `feedback` relation."""
    figures = Return.objects.filter(
        store_id__in=store_ids, feedback__created_at__gte=since
    ).aggregate(count=Count("feedback"), average=Avg("feedback__rating"))
    average = figures["average"]
    return FeedbackScore(
        count=figures["count"],
        average=None if average is None else Decimal(str(average)).quantize(Decimal("0.1")),
    )
