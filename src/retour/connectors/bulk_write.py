"""Writing one batch of validated orders for the bulk importer (`bulk`).

Orders new to the store (without shipments) are written straight to their tables (`rows.Table`:
COPY on PostgreSQL, executemany elsewhere); an order the store already has, a shipment, or a
second record of the same order or number in the batch goes through
`commerce.services.upsert_order` (idempotent, ignores older updates), after the new ones, in
file order. One transaction and one audit event per batch.

Several processes may write batches of one file at once (PostgreSQL). The customers and variants
a batch needs are created first, each set in its own short transaction (sorted, conflicts
ignored; new variants under the store's row lock, so that a SKU never gets two products), so a
batch's long transaction never waits on them. If another process's batch took an order's
external id or number first, the batch is rolled back and written again, reading what is now
there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction

from retour.commerce.audit import record_audit
from retour.commerce.inputs import CustomerIn, OrderIn, OrderLineIn
from retour.commerce.models import Customer, Order, OrderLine, Payment, Product, Store, Variant
from retour.commerce.services import order_fields, upsert_order
from retour.connectors import rows
from retour.core.actors import Actor
from retour.core.errors import Conflict

ATTEMPTS = 3


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """A validated record: its row in the file and its order (`external_id` included)."""

    row: int
    order: OrderIn
    external_id: str


def _email(order: OrderIn) -> str:
    return (order.customer.email if order.customer else order.email).lower()


def _customer_fields(details: CustomerIn | None) -> dict:
    return details.model_dump(exclude={"email"}) if details else {}


def _customer_ids(store: Store, orders: list[OrderIn]) -> dict[str, int]:
    """The batch's shoppers and their customer ids: found, or created as the upsert creates them
    (with the details of the first order naming them)."""
    wanted: dict[str, CustomerIn | None] = {}
    for order in orders:
        wanted.setdefault(_email(order), order.customer)
    found = rows.ids_by(Customer, "email", list(wanted), store=store)
    missing = sorted(wanted.keys() - found.keys())
    if missing:
        with transaction.atomic():
            rows.Table(Customer).write(
                (
                    {"store_id": store.pk, "email": email, **_customer_fields(wanted[email])}
                    for email in missing
                ),
                ignore_conflicts=True,
            )
        found |= rows.ids_by(Customer, "email", missing, store=store)
    return found


def _products(store: Store, lines: list[OrderLineIn]) -> list[Product]:
    """A product for each new variant: the one its `product_external_id` names (found in the
    store or created once), else a product of its own."""
    keys = {line.product_external_id: line for line in lines if line.product_external_id}
    shared = {p.external_id: p for p in Product.objects.filter(store=store, external_id__in=keys)}
    new = [
        Product(store=store, external_id=key, title=line.title, category=line.category)
        for key, line in keys.items()
        if key not in shared
    ]
    shared |= {product.external_id: product for product in Product.objects.bulk_create(new)}
    own = Product.objects.bulk_create(
        [
            Product(store=store, title=line.title, category=line.category)
            for line in lines
            if not line.product_external_id
        ]
    )
    own_products = iter(own)
    return [
        shared[line.product_external_id] if line.product_external_id else next(own_products)
        for line in lines
    ]


def _variant_ids(store: Store, orders: list[OrderIn]) -> dict[str, int]:
    """The batch's SKUs and their variant ids: found, or created as the upsert creates them."""
    lines: dict[str, OrderLineIn] = {}
    for order in orders:
        for line in order.lines:
            lines.setdefault(line.sku, line)  # the first line naming a SKU describes it
    found = rows.ids_by(Variant, "sku", list(lines), store=store)
    if len(found) == len(lines):
        return found
    with transaction.atomic():
        # No KEY SHARE conflict: the orders' foreign-key checks on the store are not blocked.
        Store.objects.select_for_update(no_key=True).filter(pk=store.pk).exists()
        found = rows.ids_by(Variant, "sku", list(lines), store=store)
        missing = [line for sku, line in sorted(lines.items()) if sku not in found]
        Variant.objects.bulk_create(
            [
                Variant(
                    store=store, product=product, sku=line.sku, options=line.options,
                    price=line.unit_price,
                )
                for product, line in zip(_products(store, missing), missing, strict=True)
            ]
        )  # fmt: skip
    return rows.ids_by(Variant, "sku", list(lines), store=store)


def _order_row(store: Store, item: Item, customer_id: int, pk: int | None) -> dict:
    fields = order_fields(item.order, None)
    del fields["customer"]
    return fields | {
        "id": pk,
        "customer_id": customer_id,
        "store_id": store.pk,
        "external_id": item.external_id,
        "payload_hash": hashlib.sha256(item.order.model_dump_json().encode()).hexdigest(),
    }


def _write_orders(store: Store, items: list[Item], customers: dict[str, int]) -> dict[str, int]:
    """The new orders written; their ids by external id: taken from the sequence beforehand
    (PostgreSQL), else read back by external id (one indexed query)."""
    taken = rows.next_ids(Order, len(items))
    pks = taken if taken is not None else [None] * len(items)
    written = [
        _order_row(store, item, customers[_email(item.order)], pk)
        for item, pk in zip(items, pks, strict=True)
    ]
    rows.Table(Order, with_pk=taken is not None).write(written)
    if taken is None:
        return rows.ids_by(Order, "external_id", [item.external_id for item in items], store=store)
    return {row["external_id"]: row["id"] for row in written}


def _insert(store: Store, items: list[Item], variants: dict[str, int], customers: dict) -> None:
    """New orders, their lines and payments straight to their tables, without a model instance
    per row."""
    if not items:
        return
    ids = _write_orders(store, items, customers)
    # A model's `__dict__` is its fields (`dict(model)` costs more than the rest of the row).
    rows.Table(OrderLine).write(
        line.__dict__ | {"order_id": ids[item.external_id], "variant_id": variants[line.sku]}
        for item in items
        for line in item.order.lines
    )
    rows.Table(Payment).write(
        payment.__dict__ | {"order_id": ids[item.external_id]}
        for item in items
        for payment in item.order.payments
    )


def _split(
    items: list[Item], known: Container[str], taken: Iterable[str]
) -> tuple[list[Item], list[Item]]:
    """(new orders for the fast path, the rest for the upsert). A record whose external id or
    number came earlier in the batch goes through the upsert, which runs after the inserts."""
    fresh, rest = [], []
    seen_ids: set[str] = set()
    seen_numbers = set(taken)
    for item in items:
        order = item.order
        repeated = item.external_id in seen_ids or order.number in seen_numbers
        new = item.external_id not in known and not order.fulfillments and not repeated
        (fresh if new else rest).append(item)
        seen_ids.add(item.external_id)
        seen_numbers.add(order.number)
    return fresh, rest


def _upsert(store: Store, item: Item, actor: Actor, written: Written) -> None:
    try:
        result = upsert_order(
            store=store, external_id=item.external_id, data=item.order, actor=actor
        )
    except Conflict as error:
        written.errors.append(
            RowError(item.row, error.details.get("field", "order"), error.message)
        )
        return
    written.created += result.created
    written.updated += result.changed and not result.created
    written.unchanged += not result.changed


def _commit_without_waiting() -> None:
    """An import is re-runnable and idempotent: a batch lost by a crash just after its commit
    is written again by the next run, so its commit need not wait for the WAL's flush."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _write(store: Store, items: list[Item], actor: Actor, *, careful: bool) -> Written:
    orders = [item.order for item in items]
    variants, customers = _variant_ids(store, orders), _customer_ids(store, orders)
    with transaction.atomic():
        _commit_without_waiting()
        known = rows.ids_by(Order, "external_id", [item.external_id for item in items], store=store)
        # After a conflict: numbers another order took meanwhile send theirs to the upsert.
        taken = (
            rows.ids_by(Order, "number", [o.number for o in orders], store=store) if careful else {}
        )
        fresh, rest = _split(items, known.keys(), taken.keys())
        _insert(store, fresh, variants, customers)
        written = Written(created=len(fresh))
        for item in rest:
            _upsert(store, item, actor, written)
        record_audit(
            store=store, actor=actor, verb="orders.imported", obj=store, data={"orders": len(items)}
        )
    return written


def write_batch(*, store: Store, items: list[Item], actor: Actor) -> Written:
    """Write one batch of validated orders; its counts and the records the upsert refused."""
    attempt = 1
    while True:
        try:
            return _write(store, items, actor, careful=attempt > 1)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            attempt += 1
