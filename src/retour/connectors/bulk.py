"""`retour import orders FILE`: orders from a CSV or JSON Lines file, streamed in batches.

Each record is validated with `commerce.inputs.OrderIn` (the API's rules); a bad record is
reported with its row and field and skipped, the others go on. Orders new to the store (without
shipments) are written straight to their tables (`rows.Table`: COPY on PostgreSQL, executemany
elsewhere; customers, products and variants first, a handful of statements per batch); an order
the store already has goes through `commerce.services.upsert_order` (idempotent, ignores older
updates). Memory holds one batch (and a bounded cache of e-mail checks).

JSON Lines: one order per line, `OrderIn`'s fields plus `external_id`.
CSV: one row per order line; the order's columns repeat on each of its rows (consecutive rows
with the same `external_id` are one order): external_id, number, email, currency, placed_at,
updated_at, subtotal, discount_total, shipping_total, tax_total, total, then line_external_id,
sku, title, quantity, unit_price, line_discount, line_tax.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction
from pydantic import EmailStr, ValidationError
from pydantic.networks import validate_email

from retour.commerce.audit import record_audit
from retour.commerce.inputs import CustomerIn, OrderIn
from retour.commerce.models import Customer, Order, OrderLine, Payment, Product, Store, Variant
from retour.commerce.services import _order_fields, upsert_order
from retour.connectors import rows
from retour.core.actors import Actor

ORDER_COLUMNS = (
    "number", "email", "currency", "placed_at", "updated_at", "locale",
    "subtotal", "discount_total", "shipping_total", "tax_total", "total",
)  # fmt: skip
# What a new order line's row takes from `OrderLineIn` (the rest are Retour's own columns).
LINE_FIELDS = frozenset(
    ("external_id", "sku", "title", "options", "quantity", "unit_price", "discount", "tax")
)
LINE_COLUMNS = {
    "line_external_id": "external_id",
    "sku": "sku",
    "title": "title",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "line_discount": "discount",
    "line_tax": "tax",
}


@functools.lru_cache(maxsize=100_000)
def _checked_email(value: str) -> str:
    return validate_email(value)[1]


class _Email(EmailStr):
    """`EmailStr`, its check remembered: a file names the same shoppers again and again, and
    checking an address is most of the time an order's validation takes."""

    @classmethod
    def _validate(cls, input_value: str, /) -> str:
        return _checked_email(input_value)


class _ImportedCustomer(CustomerIn):
    email: _Email


class ImportedOrder(OrderIn):
    """`OrderIn` (the API's rules, unchanged) with the e-mail check remembered."""

    email: _Email
    customer: _ImportedCustomer | None = None


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
            yield external_id, ImportedOrder.model_validate(record)
        except ValidationError as error:
            for problem in error.errors():
                where = ".".join(str(part) for part in problem["loc"]) or "order"
                report.errors.append(RowError(row, where, problem["msg"]))


def _variant_ids(store: Store, orders: list[OrderIn]) -> dict[str, int]:
    """The batch's SKUs and their variant ids: found, or created with one product each."""
    lines = {line.sku: line for order in orders for line in order.lines}
    found = rows.ids_by(Variant, "sku", list(lines), store=store)
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
        found = rows.ids_by(Variant, "sku", list(lines), store=store)
    return found


def _customer_ids(store: Store, orders: list[OrderIn]) -> dict[str, int]:
    emails = {_email(order) for order in orders}
    found = rows.ids_by(Customer, "email", list(emails), store=store)
    if len(found) < len(emails):
        Customer.objects.bulk_create(
            [Customer(store=store, email=email) for email in emails - found.keys()],
            ignore_conflicts=True,
        )
        found = rows.ids_by(Customer, "email", list(emails), store=store)
    return found


def _email(order: OrderIn) -> str:
    return (order.customer.email if order.customer else order.email).lower()


def _order_row(store: Store, external_id: str, order: OrderIn, customer_id: int) -> dict:
    fields = _order_fields(order, None)
    del fields["customer"]
    return fields | {
        "customer_id": customer_id,
        "store_id": store.pk,
        "external_id": external_id,
        "payload_hash": hashlib.sha256(order.model_dump_json().encode()).hexdigest(),
    }


def _insert(store: Store, batch: list[tuple[str, OrderIn]]) -> None:
    """New orders, their lines and payments written straight to their tables (`rows.Table`:
    COPY on PostgreSQL), without a model instance per row; the orders' ids are then read back
    by their external id (one indexed query)."""
    if not batch:
        return
    data = [order for _id, order in batch]
    variants, customers = _variant_ids(store, data), _customer_ids(store, data)
    rows.Table(Order).write(
        _order_row(store, external_id, order, customers[_email(order)])
        for external_id, order in batch
    )
    ids = rows.ids_by(Order, "external_id", [external_id for external_id, _o in batch], store=store)
    rows.Table(OrderLine).write(
        {
            "order_id": ids[external_id],
            "variant_id": variants[line.sku],
            **line.model_dump(include=LINE_FIELDS),
        }
        for external_id, order in batch
        for line in order.lines
    )
    rows.Table(Payment).write(
        {"order_id": ids[external_id], **payment.model_dump()}
        for external_id, order in batch
        for payment in order.payments
    )


def _apply(store: Store, batch: list[tuple[str, OrderIn]], actor: Actor, report: ImportReport):
    """One transaction per batch: new orders in bulk (the fast path), known ones (or orders
    with shipments) through the upsert, one audit event."""
    with transaction.atomic():
        known = rows.ids_by(Order, "external_id", [item[0] for item in batch], store=store)
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
