"""`retour import orders FILE`: orders from a CSV or JSON Lines file, streamed in batches.

Each record is validated with `commerce.inputs.OrderIn` (the API's rules; a JSON line straight
from its text); a bad record is reported with its row and field and skipped, the others go on.
The batches are written by `bulk_write.write_batch` (new orders straight to their tables, known
ones through the upsert). Memory holds a few batches (and a bounded cache of e-mail checks).

With `workers` > 1 on PostgreSQL, the file is read here and handed out in batches to as many
processes, each validating and writing its batches in its own connection and transaction; the
report (errors, progress) still follows the file's order. On SQLite (one writer), or when the
caller is inside a transaction, one process does it all: validating in several for a single
writer was slower, handing it the validated orders cost more than validating them. A dry run
validates in the workers whatever the database.

JSON Lines: one order per line, `OrderIn`'s fields plus `external_id`.
CSV: one row per order line; the order's columns repeat on each of its rows (consecutive rows
with the same `external_id` are one order): external_id, number, email, currency, placed_at,
updated_at, subtotal, discount_total, shipping_total, tax_total, total, then line_external_id,
sku, title, quantity, unit_price, line_discount, line_tax.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any, TextIO

import email_validator
from django.db import connection, connections
from pydantic import EmailStr, Field, ValidationError, field_validator
from pydantic.networks import validate_email

from retour.commerce.inputs import CustomerIn, OrderIn
from retour.commerce.models import Store
from retour.connectors.bulk_write import Item, RowError, write_batch
from retour.connectors.parallel import ordered_map
from retour.core.actors import Actor

__all__ = ["ImportReport", "ImportedOrder", "RowError", "import_orders", "records"]

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
# A record: its row in the file and a JSON line's text or a CSV order's fields.
Record = tuple[int, str | dict[str, Any]]


# A plain ASCII address (dot-atom local part, letters-digits-hyphens labels, a TLD of letters):
# what `email_validator` accepts unchanged but for the domain's case, in a fraction of its time.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)
_SPECIAL_DOMAINS = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(value: str) -> str | None:
    """`value` as `EmailStr` normalises it, when it is a plain address; else None (check it
    fully). `tests/connectors/test_import.py` holds it to `email_validator`'s answers."""
    if len(value) > 254 or not _PLAIN_EMAIL.fullmatch(value):
        return None
    local, domain = value.split("@")
    domain = domain.lower()
    reserved = any(domain == name or domain.endswith("." + name) for name in _SPECIAL_DOMAINS)
    if len(local) > 64 or "--" in domain or reserved:
        return None
    return f"{local}@{domain}"


@functools.lru_cache(maxsize=100_000)
def _checked_email(value: str) -> str:
    return _plain_email(value) or validate_email(value)[1]


class _Email(EmailStr):
    """`EmailStr`, its check remembered: a file names the same shoppers again and again, and
    checking an address is most of the time an order's validation takes."""

    @classmethod
    def _validate(cls, input_value: str, /) -> str:
        return _checked_email(input_value)


class _ImportedCustomer(CustomerIn):
    email: _Email


class ImportedOrder(OrderIn):
    """`OrderIn` (the API's rules, unchanged) with the e-mail check remembered, and the
    record's `external_id`, left out of its dumps (the payload hash is the upsert's)."""

    external_id: str = Field(..., min_length=1, max_length=100, exclude=True)
    email: _Email
    customer: _ImportedCustomer | None = None

    @field_validator("external_id", mode="before")
    @classmethod
    def number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, other: ImportReport) -> None:
        self.read += other.read
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors += other.errors


def _jsonl(handle: TextIO) -> Iterator[Record]:
    for row, text in enumerate(handle, start=1):
        if text.strip():
            yield row, text


def _csv(handle: TextIO) -> Iterator[Record]:
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


def records(path: Path, handle: TextIO) -> Iterator[Record]:
    return _csv(handle) if path.suffix.lower() == ".csv" else _jsonl(handle)


def _validate(record: str | dict[str, Any]) -> ImportedOrder:
    if isinstance(record, str):
        return ImportedOrder.model_validate_json(record)
    return ImportedOrder.model_validate(record)


def _validated(chunk: list[Record], errors: list[RowError]) -> list[Item]:
    valid = []
    for row, record in chunk:
        try:
            order = _validate(record)
        except ValidationError as error:
            errors.extend(
                RowError(row, ".".join(map(str, problem["loc"])) or "order", problem["msg"])
                for problem in error.errors()
            )
            continue
        valid.append(Item(row, order, order.external_id))
    return valid


@dataclass(frozen=True)
class _Job:
    store: Store
    actor: Actor
    dry_run: bool


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch allocates tens of thousands of small containers that live until it is written:
    the garbage collector, started every few hundred allocations, walked them again and again
    (half of the validation's time). It resumes after the batch, and finds any cycle then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(job: _Job, chunk: list[Record]) -> ImportReport:
    """One batch, validated and written by the same process: its report."""
    part = ImportReport(read=len(chunk))
    with _collector_paused():
        valid = _validated(chunk, part.errors)
        if job.dry_run or not valid:
            return part
        written = write_batch(store=job.store, items=valid, actor=job.actor)
    part.created, part.updated, part.unchanged = (
        written.created, written.updated, written.unchanged,
    )  # fmt: skip
    if written.errors:
        part.errors = sorted(part.errors + written.errors, key=lambda error: error.row)
    return part


def _start_worker(*, owns_connections: bool) -> None:
    # What was loaded before the fork is never garbage: the collector stops walking it.
    gc.freeze()
    # A connection open in the parent at the fork is the parent's socket: used here, the two
    # processes' replies would mix. Forget it (never close it: that would end the parent's
    # session) and open this process's own.
    for alias in connections:
        connections[alias].connection = None
    if owns_connections:
        Finalize(None, connections.close_all, exitpriority=10)


def _chunks(items: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _in_workers(job: _Job, chunks: Iterable[list[Record]], workers: int) -> Iterator[ImportReport]:
    """The batches in `workers` processes when each can write its own (PostgreSQL, the caller
    outside a transaction: each worker commits in its own connection) or nothing is written;
    else here, one after the other. (Validating in several processes for one writer was
    slower: handing it the validated orders cost more than validating them.)"""
    writes = not job.dry_run
    if workers <= 1 or (
        writes and (connection.vendor != "postgresql" or connection.in_atomic_block)
    ):
        return map(functools.partial(_run, job), chunks)
    if writes:
        connections.close_all()  # each worker opens its own; none inherits this one
    start = functools.partial(_start_worker, owns_connections=writes)
    return ordered_map(functools.partial(_run, job), chunks, workers=workers, initializer=start)


def import_orders(
    *,
    store: Store,
    path: Path,
    handle: TextIO,
    actor: Actor,
    dry_run: bool = False,
    batch_size: int = 2000,
    workers: int = 1,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import the file's orders into `store`, in up to `workers` processes; with `dry_run`,
    only validate and report."""
    job = _Job(store, actor, dry_run)
    report = ImportReport()
    for part in _in_workers(job, _chunks(records(path, handle), batch_size), workers):
        report.add(part)
        if progress:
            progress(report)
    return report
