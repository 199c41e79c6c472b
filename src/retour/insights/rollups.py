"""Keeps `CohortDay` up to date: the days whose orders or returns changed since the last run are
recomputed by two grouped queries (what was sold, what was returned) and rewritten. The same
run rewrites the weeks of those days (`CohortWeek`) and refreshes the per-return, per-line and
per-move rows of the returns that changed (`facts`, `stays`).

A return counts against the day its order was placed (the cohort), for its requested quantity,
unless it was rejected, cancelled or expired. Values are at the line's unit price (before
order-level discounts). Days are UTC days.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from retour.commerce.models import Order, OrderLine, Store, Variant
from retour.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from retour.insights import facts, stays
from retour.insights.models import CohortDay, CohortWeek, RollupState
from retour.insights.weeks import rewrite, week_of
from retour.insights.writes import insert_rows
from retour.returns.choices import VOID_STATUSES
from retour.returns.models import Return, ReturnLine

# The option names that carry a size, as shops name them (lower case).
SIZE_KEYS = frozenset({"size", "taille", "pointure", "größe", "talla", "taglia"})
NO_REASON = "unspecified"


@dataclass(frozen=True)
class Refreshed:
    store_id: int
    days: int  # how many days were rewritten
    rows: int


def money_sum(expression) -> Sum:
    money = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    return Sum(expression, output_field=money)


def size_of(options: dict) -> str:
    """The size among a variant's options ("" when it has none)."""
    for key, value in (options or {}).items():
        if str(key).strip().lower() in SIZE_KEYS:
            return str(value)[:40]
    return ""


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _placed_within(days: list[date] | None, field: str) -> Q:
    """Orders placed on `days` (all days when None): an indexed range, then the days' set."""
    if days is None:
        return Q()
    return Q(**{f"{field}__gte": _day_start(min(days))}) & Q(
        **{f"{field}__lt": _day_start(max(days) + timedelta(days=1))}
    )


def _changed_days(store_id: int, since: datetime) -> list[date]:
    """The order days touched by an order or a return changed after `since` (two queries)."""
    orders = (
        Order.objects.filter(store_id=store_id, updated_at__gt=since)
        .annotate(day=TruncDate("placed_at", tzinfo=UTC))
        .values_list("day", flat=True)
        .distinct()
    )
    returns = (
        Return.objects.filter(store_id=store_id, updated_at__gt=since)
        .annotate(day=TruncDate("order__placed_at", tzinfo=UTC))
        .values_list("day", flat=True)
        .distinct()
    )
    return sorted(set(orders) | set(returns))


def _sold(store_id: int, days: list[date] | None) -> Iterable[dict]:
    lines = OrderLine.objects.filter(
        _placed_within(days, "order__placed_at"), order__store_id=store_id
    )
    lines = lines.annotate(day=TruncDate("order__placed_at", tzinfo=UTC))
    if days is not None:
        lines = lines.filter(day__in=days)
    return (
        lines.order_by()
        .values("day", "variant_id")
        .annotate(units=Sum("quantity"), value=money_sum(F("quantity") * F("unit_price")))
    )


def _returned(store_id: int, days: list[date] | None) -> Iterable[dict]:
    lines = ReturnLine.objects.filter(
        _placed_within(days, "order_line__order__placed_at"), return_request__store_id=store_id
    ).exclude(return_request__status__in=VOID_STATUSES)
    lines = lines.annotate(day=TruncDate("order_line__order__placed_at", tzinfo=UTC))
    if days is not None:
        lines = lines.filter(day__in=days)
    return (
        lines.order_by()
        .values("day", "order_line__variant_id", "reason__code", "reason__parent__code")
        .annotate(
            units=Sum("quantity"),
            value=money_sum(F("quantity") * F("order_line__unit_price")),
        )
    )


# The columns `_rows` fills, in order.
COLUMNS = (
    "store_id", "day", "variant_id", "product_id", "category", "size", "reason",
    "parent_reason", "sold_units", "sold_value", "returned_units", "returned_value",
)  # fmt: skip


def _rows(store_id: int, days: list[date] | None) -> list[tuple]:
    """The rollup's rows for these days (all when None), as tuples of `COLUMNS`."""
    variants = {
        pk: (product_id, category, size_of(options))
        for pk, product_id, category, options in Variant.objects.filter(
            store_id=store_id
        ).values_list("pk", "product_id", "product__category", "options")
    }
    rows = []
    for sold in _sold(store_id, days):
        product_id, category, size = variants.get(sold["variant_id"], (None, "", ""))
        rows.append(
            (store_id, sold["day"], sold["variant_id"], product_id, category, size, "", "",
             sold["units"], sold["value"], 0, Decimal(0))
        )  # fmt: skip
    for back in _returned(store_id, days):
        variant_id = back["order_line__variant_id"]
        product_id, category, size = variants.get(variant_id, (None, "", ""))
        reason = back["reason__code"] or NO_REASON
        rows.append(
            (store_id, back["day"], variant_id, product_id, category, size, reason,
             back["reason__parent__code"] or reason, 0, Decimal(0), back["units"], back["value"])
        )  # fmt: skip
    return rows


# The columns of `CohortWeek`: the week's `CohortDay` rows grouped by these, summed by those.
WEEK_COLUMNS = {
    "store_id": F("store_id"),
    "product_id": F("product_id"),
    "category": F("category"),
    "size": F("size"),
    "reason": F("reason"),
    "parent_reason": F("parent_reason"),
}
WEEK_SUMS = {
    "sold_units": Sum("sold_units"),
    "sold_value": money_sum("sold_value"),
    "returned_units": Sum("returned_units"),
    "returned_value": money_sum("returned_value"),
}


def _refresh_weeks(store_id: int, days: list[date] | None) -> None:
    """Rewrites the weeks of these days (all when None) from their `CohortDay` rows."""
    weeks = None if days is None else sorted({week_of(day) for day in days})
    source = CohortDay.objects.filter(store_id=store_id)
    if weeks:
        source = source.filter(day__gte=weeks[0], day__lt=weeks[-1] + timedelta(days=7))
    rewrite(
        CohortWeek,
        CohortWeek.objects.filter(store_id=store_id),
        source,
        weeks,
        TruncWeek("day"),
        WEEK_COLUMNS,
        WEEK_SUMS,
    )


def _refresh_days(store: Store, days: list[date] | None) -> tuple[int, int]:
    """Rewrites the rollup's rows of these days (all when None): how many days and rows."""
    stale = CohortDay.objects.filter(store=store)
    if days is not None:
        stale = stale.filter(day__in=days)
    stale.delete()
    # Written in day order, so that a period's rows share pages of the table: a range of
    # days then reads a few hundred pages, not one page per row.
    rows = sorted(_rows(store.pk, days), key=lambda row: (row[1], row[2] or 0))
    insert_rows(CohortDay, COLUMNS, rows)
    _refresh_weeks(store.pk, days)
    return len({row[1] for row in rows}), len(rows)


def refresh(store: Store) -> Refreshed:
    """Bring the store's rollups up to date: everything on the first run, then only the days
    whose orders or returns changed since the last one, the returned lines of the returns that
    changed, and the stays and resolution times of the returns with new status events. Rows
    changed while it runs are seen again next time (the watermark is the start of this run), so
    nothing is missed."""
    started = timezone.now()
    state = RollupState.objects.filter(store=store).first()
    with transaction.atomic():
        days = None if state is None else _changed_days(store.pk, state.watermark)
        counted, rows = _refresh_days(store, days) if days != [] else (0, 0)
        since_event = state.last_event_id if state else 0
        facts.refresh(store.pk, state.watermark if state else None, since_event)
        last_event, _ = stays.refresh(store.pk, since_event)
        RollupState.objects.update_or_create(
            store=store,
            defaults={
                "watermark": started,
                "refreshed_at": timezone.now(),
                "last_event_id": last_event,
            },
        )
    return Refreshed(store.pk, counted if days is None else len(days), rows)


def refresh_all() -> list[Refreshed]:
    """Every store's rollup, one transaction per store."""
    return [refresh(store) for store in Store.objects.order_by("pk")]


def freshness(store_ids: list[int]) -> datetime | None:
    """The oldest watermark among the stores: the figures include every change before it."""
    marks = list(
        RollupState.objects.filter(store_id__in=store_ids).values_list("watermark", flat=True)
    )
    return min(marks) if marks and len(marks) == len(set(store_ids)) else None
