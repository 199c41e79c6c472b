"""`retour import orders FILE`: orders from a CSV or JSON Lines file, streamed in batches.

Each record is validated with `commerce.inputs.OrderIn` (the API's rules); a bad record is
reported with its row and field and skipped, the others go on. Orders new to the store are
written with bulk inserts (customers, products and variants, orders, lines, payments, shipments:
a handful of statements per batch); an order the store already has goes through
`commerce.services.upsert_order` (idempotent, ignores older updates). Memory holds one batch.

JSON Lines: one order per line, `OrderIn`'s fields plus `external_id`.
CSV: one row per order line; the order's columns repeat on each of its rows (consecutive rows
with the same `external_id` are one order): external_id, number, email, currency, placed_at,
updated_at, subtotal, discount_total, shipping_total, tax_total, total, then line_external_id,
sku, title, quantity, unit_price, line_discount, line_tax.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction
from pydantic import ValidationError

from retour.commerce.audit import record_audit
from retour.commerce.inputs import OrderIn
from retour.commerce.models import Customer, Order, OrderLine, Payment, Product, Store, Variant
from retour.commerce.services import _order_fields, upsert_order
from retour.core.actors import Actor

ORDER_COLUMNS = (
    "number", "email", "currency", "placed_at", "updated_at", "locale",
    "subtotal", "discount_total", "shipping_total", "tax_total", "total",
)  # fmt: skip
LINE_COLUMNS = {
    "line_external_id": "external_id",
    "sku": "sku",
    "title": "title",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "line_discount": "discount",
    "line_tax": "tax",
}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _jsonl(handle: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    for row, text in enumerate(handle, start=1):
        if text.strip():
            yield row, json.loads(text)


def _csv(handle: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = enumerate(csv.DictReader(handle), start=2)  # row 1 is the header
    for _key, group in itertools.groupby(rows, key=lambda item: item[1]["external_id"]):
        group = list(group)
        first_row, first = group[0]
        record: dict[str, Any] = {"external_id": first["external_id"]}
        record |= {name: first[name] for name in ORDER_COLUMNS if first.get(name)}
        record["lines"] = [
            {target: line[source] for source, target in LINE_COLUMNS.items() if line.get(source)}
            for _row, line in group
        ]
        yield first_row, record


def records(path: Path, handle: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    return _csv(handle) if path.suffix.lower() == ".csv" else _jsonl(handle)


def _validated(
    items: Iterable[tuple[int, dict[str, Any]]], report: ImportReport
) -> Iterator[tuple[str, OrderIn]]:
    for row, record in items:
        report.read += 1
        external_id = str(record.pop("external_id", "") or "")
        if not external_id:
            report.errors.append(RowError(row, "external_id", "required"))
            continue
        try:
            yield external_id, OrderIn.model_validate(record)
        except ValidationError as error:
            for problem in error.errors():
                where = ".".join(str(part) for part in problem["loc"]) or "order"
                report.errors.append(RowError(row, where, problem["msg"]))


def _variants(store: Store, orders: list[OrderIn]) -> dict[str, Variant]:
    """The batch's SKUs as variants: found, or created with one product each (bulk)."""
    lines = {line.sku: line for order in orders for line in order.lines}
    found = {v.sku: v for v in Variant.objects.filter(store=store, sku__in=list(lines))}
    missing = [line for sku, line in lines.items() if sku not in found]
    if missing:
        products = Product.objects.bulk_create(
            [Product(store=store, title=line.title, category=line.category) for line in missing]
        )
        Variant.objects.bulk_create(
            [
                Variant(
                    store=store,
                    product=product,
                    sku=line.sku,
                    options=line.options,
                    price=line.unit_price,
                )
                for product, line in zip(products, missing, strict=True)
            ],
            ignore_conflicts=True,
        )
        found = {v.sku: v for v in Variant.objects.filter(store=store, sku__in=list(lines))}
    return found


def _customers(store: Store, orders: list[OrderIn]) -> dict[str, Customer]:
    emails = {(o.customer.email if o.customer else o.email).lower() for o in orders}
    Customer.objects.bulk_create(
        [Customer(store=store, email=email) for email in emails], ignore_conflicts=True
    )
    return {c.email: c for c in Customer.objects.filter(store=store, email__in=list(emails))}


def _insert(store: Store, batch: list[tuple[str, OrderIn]]) -> None:
    data = [order for _id, order in batch]
    variants, customers = _variants(store, data), _customers(store, data)
    orders = Order.objects.bulk_create(
        [
            Order(
                store=store,
                external_id=external_id,
                payload_hash=hashlib.sha256(order.model_dump_json().encode()).hexdigest(),
                **_order_fields(
                    order,
                    customers[(order.customer.email if order.customer else order.email).lower()],
                ),
            )
            for external_id, order in batch
        ]
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=row,
                external_id=line.external_id,
                variant=variants[line.sku],
                sku=line.sku,
                title=line.title,
                options=line.options,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax=line.tax,
            )
            for row, order in zip(orders, data, strict=True)
            for line in order.lines
        ]
    )
    Payment.objects.bulk_create(
        [
            Payment(order=row, **payment.model_dump())
            for row, order in zip(orders, data, strict=True)
            for payment in order.payments
        ]
    )


def _apply(store: Store, batch: list[tuple[str, OrderIn]], actor: Actor, report: ImportReport):
    """One transaction per batch: new orders in bulk (the fast path), known ones (or orders
    with shipments) through the upsert, one audit event."""
    with transaction.atomic():
        known = set(
            Order.objects.filter(
                store=store, external_id__in=[external_id for external_id, _o in batch]
            ).values_list("external_id", flat=True)
        )
        fresh = [item for item in batch if item[0] not in known and not item[1].fulfillments]
        _insert(store, fresh)
        report.created += len(fresh)
        for external_id, order in batch:
            if external_id in known or order.fulfillments:
                result = upsert_order(store=store, external_id=external_id, data=order, actor=actor)
                report.created += result.created
                report.updated += result.changed and not result.created
                report.unchanged += not result.changed
        record_audit(
            store=store,
            actor=actor,
            verb="orders.imported",
            obj=store,
            data={"orders": len(batch)},
        )


def import_orders(
    *,
    store: Store,
    path: Path,
    handle: TextIO,
    actor: Actor,
    dry_run: bool = False,
    batch_size: int = 2000,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import the file's orders into `store`; with `dry_run`, only validate and report."""
    report = ImportReport()
    valid = _validated(records(path, handle), report)
    while batch := list(itertools.islice(valid, batch_size)):
        if not dry_run:
            _apply(store, batch, actor, report)
        if progress:
            progress(report)
    return report
