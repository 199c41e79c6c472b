"""The cohort figures computed the plain way, as the tests' oracle: one grouped read of the
period's daily rows (`CohortDay`) per figure. The rates page reads the whole weeks of a period
from `CohortWeek` and sums one grouped read in Python (`metrics.cohort_overview`); the tests
check it against these. The rows are shaped by the overview's own helpers (`_rate`,
`_reason_rows`): what is checked is where the sums come from."""

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from retour.insights.metrics import TOTALS, Rate, ReasonRow, Slice, _rate, _reason_rows
from retour.insights.rollups import money_sum

# Dimension → (the group's key, its label); the period ones are truncations of the order day.
DIMENSIONS = {
    "day": ("day", "day"),
    "week": (TruncWeek("day"), None),
    "month": (TruncMonth("day"), None),
    "store": ("store_id", "store__name"),
    "category": ("category", "category"),
    "product": ("product_id", "product__title"),
    "variant": ("variant_id", "variant__sku"),
    "size": ("size", "size"),
}


def daily_rows(scope: Slice):
    return scope.cohort(scope.start, scope.end)


def cohort_total(scope: Slice) -> Rate:
    """The period's return rate over all its orders."""
    return _rate("total", "", daily_rows(scope).aggregate(**TOTALS))


def cohort_rates(scope: Slice, by: str, limit: int | None = None) -> list[Rate]:
    """The return rate per group of `DIMENSIONS[by]`: periods in time order, other groups by
    returned units, most first (as the overview orders them)."""
    key, label = DIMENSIONS[by]
    rows = daily_rows(scope).annotate(key=key if not isinstance(key, str) else F(key))
    rows = rows.annotate(label=F(label)) if label else rows.annotate(label=F("key"))
    rows = rows.values("key", "label").annotate(**TOTALS)
    periods = by in ("day", "week", "month")
    ordered = rows.order_by("key") if periods else rows.order_by("-returned_units", "key")
    ordered = ordered[:limit] if limit else ordered
    return [_rate(row["key"], row["label"], row) for row in ordered]


def reasons(scope: Slice) -> list[ReasonRow]:
    """Units and value returned per reason and sub-reason."""
    rows = (
        daily_rows(scope)
        .exclude(reason="")
        .values("parent_reason", "reason")
        .annotate(units=Sum("returned_units"), value=money_sum("returned_value"))
    )
    return _reason_rows(scope, list(rows))
