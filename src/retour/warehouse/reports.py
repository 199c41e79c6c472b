"""The warehouse's reports: the day's work per warehouse (page and CSV), and the yearly
disclosure of discarded unsold products (ESPR art. 24; AGEC) as CSV."""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum

from retour.commerce.models import Store, Warehouse
from retour.warehouse.choices import DISCARDING, RESTOCKING, Disposition, Outcome
from retour.warehouse.law import derogation_labels
from retour.warehouse.models import InspectionUnit, Receipt, ReceivingDiscrepancy


def _bounds(store: Store, start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end) as instants, in the store's time zone: a day is the store's day."""
    zone = ZoneInfo(store.timezone or "UTC")
    return datetime.combine(start, time.min, zone), datetime.combine(end, time.min, zone)


@dataclass
class DailyRow:
    warehouse: Warehouse
    parcels: int = 0
    received: int = 0
    inspected: int = 0
    restocked: int = 0
    disputed: int = 0  # units missing, extra or wrong at receipt, and units refused at inspection


def daily_report(store: Store, day: date) -> list[DailyRow]:
    """One row per warehouse of the store: four queries whatever the number of warehouses."""
    start, end = _bounds(store, day, day + timedelta(days=1))
    rows = {w.pk: DailyRow(w) for w in Warehouse.objects.filter(store=store).order_by("code")}
    for row in (
        Receipt.objects.filter(warehouse__store=store, received_at__gte=start, received_at__lt=end)
        .values("warehouse_id")
        .annotate(parcels=Count("id"), units=Sum("received_units"))
    ):
        rows[row["warehouse_id"]].parcels = row["parcels"]
        rows[row["warehouse_id"]].received = row["units"] or 0
    for row in (
        InspectionUnit.objects.filter(
            warehouse__store=store, inspected_at__gte=start, inspected_at__lt=end
        )
        .values("warehouse_id")
        .annotate(units=Count("id"), refused=Count("id", filter=Q(outcome=Outcome.REFUSED)))
    ):
        rows[row["warehouse_id"]].inspected = row["units"]
        rows[row["warehouse_id"]].disputed += row["refused"]
    for row in (
        InspectionUnit.objects.filter(
            warehouse__store=store,
            disposed_at__gte=start,
            disposed_at__lt=end,
            disposition__in=RESTOCKING,
        )
        .values("warehouse_id")
        .annotate(units=Count("id"))
    ):
        rows[row["warehouse_id"]].restocked = row["units"]
    for row in (
        ReceivingDiscrepancy.objects.filter(
            receipt__warehouse__store=store, created_at__gte=start, created_at__lt=end
        )
        .values("receipt__warehouse_id")
        .annotate(units=Sum("quantity"))
    ):
        rows[row["receipt__warehouse_id"]].disputed += row["units"] or 0
    return list(rows.values())


DAILY_COLUMNS = ["date", "warehouse", "parcels", "received", "inspected", "restocked", "disputed"]


def daily_csv(store: Store, day: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DAILY_COLUMNS)
    for row in daily_report(store, day):
        writer.writerow(
            [
                day.isoformat(),
                row.warehouse.code,
                row.parcels,
                row.received,
                row.inspected,
                row.restocked,
                row.disputed,
            ]
        )
    return out.getvalue()


DISCLOSURE_COLUMNS = [
    "year",
    "category",
    "disposition",
    "reason",
    "quantity",
    "weight_kg",
]


def disclosure_rows(store: Store, year: int) -> list[dict]:
    """Units of the store discarded in `year` (recycled or destroyed: ESPR art. 24 counts both),
    by product category, disposition and reason (the legal derogations given, else the grade),
    with their number and weight."""
    start, end = _bounds(store, date(year, 1, 1), date(year + 1, 1, 1))
    units = InspectionUnit.objects.filter(
        return_line__return_request__store=store,
        disposition__in=DISCARDING,
        disposed_at__gte=start,
        disposed_at__lt=end,
    ).values_list(
        "return_line__order_line__variant__product__category",
        "return_line__order_line__variant__weight_grams",
        "disposition",
        "legal_derogations",
        "grade",
    )
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    labels = derogation_labels()
    for category, grams, disposition, derogations, grade in units:
        reason = "; ".join(labels.get(code, code) for code in derogations) or f"grade {grade}"
        key = (category or "", disposition, reason)
        totals[key][0] += 1
        totals[key][1] += grams or 0
    return [
        {
            "year": year,
            "category": category,
            "disposition": Disposition(disposition).label,
            "reason": reason,
            "quantity": quantity,
            "weight_kg": f"{grams / 1000:.3f}",
            "grams": grams,
        }
        for (category, disposition, reason), (quantity, grams) in sorted(totals.items())
    ]


def disclosure_csv(store: Store, year: int) -> str:
    """The disclosure as CSV, with a last TOTAL row; the text it answers is
    `law.DISCLOSURE_CITATION`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DISCLOSURE_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    rows = disclosure_rows(store, year)
    writer.writerows(rows)
    writer.writerow(
        {
            "year": year,
            "category": "TOTAL",
            "quantity": sum(row["quantity"] for row in rows),
            "weight_kg": f"{sum(row['grams'] for row in rows) / 1000:.3f}",
        }
    )
    return out.getvalue()
