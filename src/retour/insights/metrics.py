"""The insights' figures, each computed by the database in a fixed number of queries.

Return rates are read from the cohort rollup (`CohortDay`, and `CohortWeek` for the whole weeks
of a period): what was returned from the orders placed in the period ÷ what those orders sold,
by units and by value. Resolutions, inspection, time to refund and time per stage are read from
the rows the same refresh writes per returned line, resolution and status move
(`ReturnLineFact`, `ResolutionTime`, `StageStay` and its weekly sums `StageWeek`); costs,
carriers and satisfaction from the live tables. Each on an indexed (store, date) range: the
returns *requested* in the period, the resolutions, refunds, labels and ratings *made* in it.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncWeek

from retour.insights.models import (
    CohortDay,
    CohortWeek,
    ResolutionTime,
    ReturnLineFact,
    StageStay,
    StageWeek,
)
from retour.insights.rollups import money_sum
from retour.insights.weeks import whole_weeks
from retour.logistics.choices import ShipmentStatus
from retour.logistics.models import Shipment
from retour.refunds.choices import RefundStatus
from retour.refunds.models import Refund
from retour.returns import insights as overview
from retour.returns.choices import Resolution
from retour.returns.models import Return, ReturnReason

ONE_PLACE = Decimal("0.1")


def _midnight(day: date, later: int = 0) -> datetime:
    """The start of the day `later` days after `day` (UTC)."""
    return datetime.combine(day + timedelta(days=later), time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Slice:
    """Which data a figure covers: the stores (already checked against the caller's rights), a
    period of days (both included) and optionally a category and what lies under it."""

    store_ids: tuple[int, ...]
    start: date
    end: date
    category: str = ""

    @property
    def since(self) -> datetime:
        return _midnight(self.start)

    @property
    def until(self) -> datetime:
        return _midnight(self.end, 1)

    def cohort(self, start: date, end: date):
        """The rollup's daily rows of the days from `start` to `end` (both included)."""
        rows = CohortDay.objects.filter(store_id__in=self.store_ids, day__gte=start, day__lte=end)
        return self._of_category(rows)

    def _of_category(self, rows):
        return rows.filter(category__startswith=self.category) if self.category else rows

    def split(self) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        """The period's whole weeks (first Monday, last Sunday; None if there are none) and
        the days around them (ranges of days, both ends included)."""
        weeks = whole_weeks(self.start, self.end)
        if weeks is None:
            return None, [(self.start, self.end)]
        around = (
            (self.start, weeks[0] - timedelta(days=1)),
            (weeks[1] + timedelta(days=1), self.end),
        )
        return weeks, [(start, end) for start, end in around if start <= end]

    def cohort_parts(self) -> list[QuerySet]:
        """The period's cohort rows, as few as possible: `CohortWeek` for its whole weeks,
        `CohortDay` for the days around them."""
        weeks, days = self.split()
        parts = [self.cohort(start, end) for start, end in days]
        if weeks is not None:
            whole = CohortWeek.objects.filter(
                store_id__in=self.store_ids, week__gte=weeks[0], week__lte=weeks[1]
            )
            parts.append(self._of_category(whole))
        return parts

    def line_facts(self) -> QuerySet[ReturnLineFact]:
        """The lines of the returns requested in the period, void ones included; with a
        category, of the returns with a line in it (all their lines, as `returns`)."""
        rows = ReturnLineFact.objects.filter(
            store_id__in=self.store_ids, requested_at__gte=self.since, requested_at__lt=self.until
        )
        return rows.filter(return_request_id__in=self.in_category()) if self.category else rows

    def in_category(self) -> QuerySet:
        """The ids of the returns requested in the period with a line in the category, from
        the line facts (a subquery): joining the returns to their lines' products instead
        took 0.8 s over two years at 1,000,000 orders."""
        return ReturnLineFact.objects.filter(
            store_id__in=self.store_ids,
            requested_at__gte=self.since,
            requested_at__lt=self.until,
            category__startswith=self.category,
        ).values("return_request_id")


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part ÷ whole in per cent, one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE)


@dataclass(frozen=True)
class Rate:
    key: object  # the group's value (a day, a category, a product id…)
    label: str
    sold_units: int
    returned_units: int
    sold_value: Decimal
    returned_value: Decimal

    @property
    def units_percent(self) -> Decimal | None:
        return percent(self.returned_units, self.sold_units)

    @property
    def value_percent(self) -> Decimal | None:
        return percent(self.returned_value, self.sold_value)


TOTALS = {
    "sold_units": Sum("sold_units"),
    "returned_units": Sum("returned_units"),
    "sold_value": money_sum("sold_value"),
    "returned_value": money_sum("returned_value"),
}


def _rate(key: object, label: object, row: dict) -> Rate:
    return Rate(
        key=key,
        label=str(label if label is not None else key),
        sold_units=row["sold_units"] or 0,
        returned_units=row["returned_units"] or 0,
        sold_value=row["sold_value"] or Decimal(0),
        returned_value=row["returned_value"] or Decimal(0),
    )


def cohort_grouped(scope: Slice, fields: tuple[str, ...], totals: dict) -> QuerySet:
    """The period's cohort rows grouped by `fields` (`week_of`: the Monday of the order day),
    whole weeks from `CohortWeek`, the days around them from `CohortDay`, in ONE query (a
    union: a group may come twice, for the caller to sum). Two years read about 120,000 weekly
    rows instead of 770,000 daily ones at 1,000,000 orders."""
    grouped = []
    for rows in scope.cohort_parts():
        if "week_of" in fields:
            rows = rows.annotate(
                week_of=F("week") if rows.model is CohortWeek else TruncWeek("day")
            )
        grouped.append(rows.values(*fields).annotate(**totals).order_by())
    first, *others = grouped
    return first.union(*others, all=True) if others else first


@dataclass(frozen=True)
class ReasonRow:
    parent: str
    code: str
    label: str
    units: int
    value: Decimal
    share: Decimal | None  # of all units returned in the period


def reason_labels(store_ids, codes: set[str]) -> dict[str, str]:
    """The label of each reason code in the catalogues of these stores (one query)."""
    labels: dict[str, str] = {}
    for reason in ReturnReason.objects.filter(store_id__in=store_ids, code__in=codes).order_by(
        "store_id"
    ):
        labels.setdefault(reason.code, reason.label())
    return labels


def _reason_rows(scope: Slice, rows: list[dict]) -> list[ReasonRow]:
    """Reason rows (`parent_reason`, `reason`, `units`, `value`), most units first (one query
    for the labels)."""
    rows = sorted(rows, key=lambda row: (-row["units"], row["reason"]))
    total = sum(row["units"] for row in rows)
    labels = reason_labels(
        scope.store_ids, {row["reason"] for row in rows} | {row["parent_reason"] for row in rows}
    )
    return [
        ReasonRow(
            parent=row["parent_reason"],
            code=row["reason"],
            label=labels.get(row["reason"], row["reason"]),
            units=row["units"],
            value=row["value"],
            share=percent(row["units"], total),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Overview:
    """The cohort figures of the rates page."""

    total: Rate
    weeks: list[Rate]
    categories: list[Rate]
    sizes: list[Rate]
    reasons: list[ReasonRow]


def _summed(groups: dict, key: object, row: dict) -> None:
    into = groups.setdefault(key, dict.fromkeys(TOTALS, 0))
    for name in TOTALS:
        into[name] += row[name] or 0


def _rates_of(groups: dict, periods: bool, limit: int | None = None) -> list[Rate]:
    rates = [_rate(key, key, totals) for key, totals in groups.items()]
    order = (lambda r: r.key) if periods else (lambda r: (-r.returned_units, r.key))
    return sorted(rates, key=order)[:limit]


def cohort_overview(scope: Slice, limit: int = 50) -> Overview:
    """The period's total, its rates per week, category and size, and its reasons, from ONE
    grouped read of the rollup (week × category × size × reason: a few thousand rows for 90
    days, `cohort_grouped`) summed up in Python, instead of one scan of the period's rows per
    figure (two queries, with the reasons' labels)."""
    rows = cohort_grouped(scope, ("week_of", "category", "size", "parent_reason", "reason"), TOTALS)
    total: dict = {}
    weeks: dict = {}
    categories: dict = {}
    sizes: dict = {}
    reasons: dict = {}
    for row in rows:
        _summed(total, "total", row)
        _summed(weeks, row["week_of"], row)
        _summed(categories, row["category"], row)
        _summed(sizes, row["size"], row)
        if row["reason"]:
            _summed(reasons, (row["parent_reason"], row["reason"]), row)
    return Overview(
        total=_rate("total", "", total.get("total", dict.fromkeys(TOTALS))),
        weeks=_rates_of(weeks, periods=True),
        categories=_rates_of(categories, periods=False, limit=limit),
        sizes=_rates_of(sizes, periods=False, limit=limit),
        reasons=_reason_rows(
            scope,
            [
                {
                    "parent_reason": parent,
                    "reason": code,
                    "units": sums["returned_units"],
                    "value": sums["returned_value"],
                }
                for (parent, code), sums in reasons.items()
            ],
        ),  # fmt: skip
    )


@dataclass(frozen=True)
class MoneyRow:
    key: str
    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class CountRow:
    key: str
    units: int


@dataclass(frozen=True)
class Lines:
    """What the returned lines of the period say: resolutions asked for, inspection."""

    resolutions: list[MoneyRow]
    grades: list[CountRow]
    dispositions: list[CountRow]


def _counted(totals: dict[str, int]) -> list[CountRow]:
    return [CountRow(key, units) for key, units in sorted(totals.items()) if key]


def returned_lines(scope: Slice) -> Lines:
    """The lines of the returns requested in the period (one grouped read of `ReturnLineFact`,
    summed in Python): units and value asked back per resolution (refund, store credit,
    exchange) of the live returns, and units received per inspection grade and per
    disposition of all of them."""
    rows = (
        scope.line_facts()
        .values("live", "resolution", "currency", "grade", "disposition")
        .annotate(units=Sum("units"), value=money_sum("value"), received=Sum("received"))
        .order_by()
    )
    asked: dict[tuple[str, str], list] = {}
    grades: dict[str, int] = {}
    dispositions: dict[str, int] = {}
    for row in rows:
        if row["live"]:
            into = asked.setdefault((row["resolution"], row["currency"]), [0, Decimal(0)])
            into[0] += row["units"]
            into[1] += row["value"]
        grades[row["grade"]] = grades.get(row["grade"], 0) + row["received"]
        dispositions[row["disposition"]] = dispositions.get(row["disposition"], 0) + row["received"]
    return Lines(
        [
            MoneyRow(key, currency, n, amount)
            for (key, currency), (n, amount) in sorted(asked.items())
        ],
        _counted(grades),
        _counted(dispositions),
    )


def resolutions(scope: Slice) -> list[MoneyRow]:
    """Units and value asked back per resolution of the live returns requested in the period
    (one query, `returned_lines`). Credit and exchanges are revenue kept."""
    return returned_lines(scope).resolutions


def revenue_kept(rows: list[MoneyRow]) -> dict[str, Decimal]:
    """Per currency, the value that stays with the shop (store credit and exchanges)."""
    kept: dict[str, Decimal] = {}
    for row in rows:
        if row.key in (Resolution.STORE_CREDIT, Resolution.EXCHANGE):
            kept[row.currency] = kept.get(row.currency, Decimal(0)) + row.amount
    return kept


class NearestRank(Aggregate):
    """PostgreSQL's `percentile_disc`: the ⌈p·n⌉-th smallest value of the group."""

    function = "PERCENTILE_DISC"

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = fraction
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"PERCENTILE_DISC(%s) WITHIN GROUP (ORDER BY {sql})", [self.fraction, *params]


def percentiles(rows: QuerySet, field: str, fractions: tuple[float, ...]) -> tuple[int, list]:
    """How many rows, and the nearest-rank percentiles of `field` among them: the ⌈p·n⌉-th
    smallest value. One query on PostgreSQL (`percentile_disc`); elsewhere the count, then the
    k-th row of the ordered rows for each fraction, still read by the database."""
    if connection.vendor == "postgresql":
        names = [f"p{index}" for index in range(len(fractions))]
        found = rows.aggregate(
            count=Count("pk"),
            **{
                name: NearestRank(field, fraction, output_field=rows.model._meta.get_field(field))
                for name, fraction in zip(names, fractions, strict=True)
            },
        )
        return found["count"], [found[name] for name in names]
    count = rows.count()
    ordered = rows.order_by(field, "pk").values_list(field, flat=True)
    return count, [
        ordered[max(1, math.ceil(fraction * count)) - 1] if count else None
        for fraction in fractions
    ]


def time_to_refund(scope: Slice) -> overview.Durations:
    """Request → resolution (refund, credit or exchange) of the returns resolved in the period,
    p50 and p90 by nearest rank, as the overview's `time_to_refund` (one query over
    `ResolutionTime` on PostgreSQL, three elsewhere)."""
    waits = ResolutionTime.objects.filter(
        store_id__in=scope.store_ids, resolved_at__gte=scope.since, resolved_at__lt=scope.until
    )
    count, (p50, p90) = percentiles(waits, "waited", (0.5, 0.9))
    return overview.Durations(count, p50, p90)


@dataclass(frozen=True)
class StageRow:
    status: str
    count: int
    average: timedelta | None


def _stays(scope: Slice) -> list[QuerySet]:
    """The stays of the returns requested in the period, grouped by status (`moves`, `stayed`):
    whole weeks from `StageWeek`, the days around them from `StageStay`; with a category,
    `StageStay` only (the returns with a line in it)."""
    stores = {"store_id__in": scope.store_ids}
    by_status = {"moves": Count("pk"), "stayed": Sum("stay")}
    if scope.category:
        stays = StageStay.objects.filter(
            **stores, requested_at__gte=scope.since, requested_at__lt=scope.until
        ).filter(return_request_id__in=scope.in_category())
        return [stays.values("status").annotate(**by_status).order_by()]
    weeks, days = scope.split()
    parts = [
        StageStay.objects.filter(
            **stores, requested_at__gte=_midnight(start), requested_at__lt=_midnight(end, 1)
        )
        .values("status")
        .annotate(**by_status)
        .order_by()
        for start, end in days
    ]
    if weeks is not None:
        whole = StageWeek.objects.filter(**stores, week__gte=weeks[0], week__lte=weeks[1])
        parts.append(
            whole.values("status").annotate(moves=Sum("moves"), stayed=Sum("stayed")).order_by()
        )
    return parts


def time_per_stage(scope: Slice) -> list[StageRow]:
    """How long returns stay in each status: for each move of a return requested in the period,
    the time until its next move, averaged per status (one query over the stays the rollup's
    refresh writes, `_stays`). Statuses still current have no next move and are left out."""
    first, *others = _stays(scope)
    totals: dict[str, list] = {}
    for row in first.union(*others, all=True) if others else first:
        into = totals.setdefault(row["status"], [0, timedelta(0)])
        into[0] += row["moves"]
        into[1] += row["stayed"]
    return [
        StageRow(status, moves, stayed / moves)
        for status, (moves, stayed) in sorted(totals.items())
    ]


def grades_and_dispositions(scope: Slice) -> tuple[list[CountRow], list[CountRow]]:
    """Units received per inspection grade, and per disposition, of the returns requested in
    the period (one query, `returned_lines`)."""
    lines = returned_lines(scope)
    return lines.grades, lines.dispositions


@dataclass(frozen=True)
class CarrierRow:
    carrier: str
    shipments: int
    scanned: int
    to_first_scan: timedelta | None  # average, label made → first scan
    currency: str
    postage: Decimal

    @property
    def scanned_percent(self) -> Decimal | None:
        return percent(self.scanned, self.shipments)


class Elapsed(Func):
    """`later - earlier`, two datetime columns, as a duration computed by the database itself.
    PostgreSQL subtracts timestamps natively. On SQLite Django subtracts them with a Python
    function called for each row (`django_timestamp_diff`: 330 of the 435 ms of `carriers` over
    two years at 1,000,000 orders), so there the stored text (naive UTC, `YYYY-MM-DD
    HH:MM:SS[.ffffff]`) is read by SQLite's own functions into the same whole microseconds:
    the same integers, hence the same average."""

    arity = 2
    output_field = DurationField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    # Whole seconds between the texts cut to the second: SQLite reads a fraction to the
    # millisecond only, rounding it (.9996 would carry into the next second). `julianday` is a
    # float of days, exact to well under a second, hence ROUND; 3 times faster than `strftime`.
    SECONDS = (
        "CAST(ROUND((julianday(substr({0}, 1, 19)) - julianday(substr({1}, 1, 19))) * 86400)"
        " AS INTEGER)"
    )
    # The fraction's digits, padded to six as Django reads them (none: 0).
    MICROSECONDS = (
        "CASE substr({0}, 20, 1) WHEN '.' "
        "THEN CAST(substr(substr({0}, 21, 6) || '00000', 1, 6) AS INTEGER) ELSE 0 END"
    )

    def as_sqlite(self, compiler, connection, **extra_context):
        (later, later_params), (earlier, earlier_params) = (
            compiler.compile(arg) for arg in self.get_source_expressions()
        )
        sql = (
            f"({self.SECONDS.format(later, earlier)} * 1000000"
            f" + {self.MICROSECONDS.format(later)} - {self.MICROSECONDS.format(earlier)})"
        )
        # Each column is written three times, in this order; so are its parameters.
        return sql, (*later_params, *earlier_params, *later_params * 2, *earlier_params * 2)


def carriers(scope: Slice) -> list[CarrierRow]:
    """Per carrier: labels made in the period, how many were scanned, the average time to the
    first scan, and the postage (one query)."""
    rows = (
        Shipment.objects.filter(
            store_id__in=scope.store_ids, created_at__gte=scope.since, created_at__lt=scope.until
        )
        .exclude(status__in=(ShipmentStatus.VOIDED, ShipmentStatus.FAILED))
        .values("carrier_name", "currency")
        .annotate(
            shipments=Count("pk"),
            scanned=Count("pk", filter=Q(first_scan_at__isnull=False)),
            to_first_scan=Avg(Elapsed("first_scan_at", "created_at")),
            postage=Sum("rate"),
        )
        .order_by("-shipments", "carrier_name")
    )
    return [
        CarrierRow(
            row["carrier_name"],
            row["shipments"],
            row["scanned"],
            row["to_first_scan"],
            row["currency"],
            row["postage"],
        )
        for row in rows
    ]


def costs(scope: Slice, carried: list[CarrierRow] | None = None) -> list[MoneyRow]:
    """What returns cost, per currency: refunds paid (succeeded refunds created in the period)
    and return postage (labels made in the period and not voided: the carriers' postage added
    up). One query when the period's `carriers` are given, two otherwise."""
    refunds = (
        Refund.objects.filter(
            store_id__in=scope.store_ids,
            created_at__gte=scope.since,
            created_at__lt=scope.until,
            status=RefundStatus.SUCCEEDED,
        )
        .values("currency")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("currency")
    )
    postage: dict[str, list] = {}
    for row in carriers(scope) if carried is None else carried:
        into = postage.setdefault(row.currency, [0, Decimal(0)])
        into[0] += row.shipments
        into[1] += row.postage
    return [MoneyRow("refunds", r["currency"], r["count"], r["amount"]) for r in refunds] + [
        MoneyRow("postage", currency, n, amount)
        for currency, (n, amount) in sorted(postage.items())
    ]


@dataclass(frozen=True)
class Satisfaction:
    ratings: dict[int, int]  # 1…5 → answers

    @property
    def count(self) -> int:
        return sum(self.ratings.values())

    @property
    def average(self) -> Decimal | None:
        total = sum(rating * n for rating, n in self.ratings.items())
        return (Decimal(total) / self.count).quantize(ONE_PLACE) if self.count else None


def satisfaction(scope: Slice) -> Satisfaction:
    """The shoppers' ratings (the portal's feedback) given in the period, per score (one query
    on the feedback alone: joined to the returns, PostgreSQL scanned all of them)."""
    feedback = Return.feedback.related.related_model  # the portal's, which sits above insights
    rows = (
        feedback.objects.filter(
            store_id__in=scope.store_ids,
            created_at__gte=scope.since,
            created_at__lt=scope.until,
        )
        .values("rating")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["rating"]: row["n"] for row in rows}
    return Satisfaction({rating: counts.get(rating, 0) for rating in range(1, 6)})
