"""The bulk importer's batches in worker processes (errors and progress in the file's order, the
dry run, PostgreSQL's parallel writers), and its quick e-mail check held to the API's."""

import functools
import json
from decimal import Decimal

import pytest
from django.db import connection
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from retour.commerce.models import Order, OrderLine
from retour.connectors.bulk import _plain_email, _start_worker, import_orders
from retour.connectors.parallel import ordered_map
from tests.connectors.test_import import _order
from tests.factories import SYSTEM, StoreFactory

PLAIN = [
    "a@b.co",
    "shopper12@example.com",
    "First.Last+tag@Sub.Example.COM",
    "under_score-dash@my-shop.fr",
    "x@" + "a" * 63 + ".com",
]
OTHERS = [
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example.c0m",
    "a@example.123",
    "a@xn--bcher-kva.com",
    "a@ab--cd.com",
    "a@printer.local",
    "a@host.localhost",
    "a@x.onion",
    "a@x.test",
    "a@x.invalid",
    "a@1.2.3.4.in-addr.arpa",
    "a@" + "a" * 64 + ".com",
    "a" * 65 + "@example.com",
    "a@" + ".".join(["abcdefghi"] * 25) + ".com",
    "Ann <ann@example.com>",
    "ann@exämple.com",
    "ännä@example.com",
    "a!b@example.com",
    "a@example",
]


def _full_check(value):
    try:
        return validate_email(value)[1]
    except PydanticCustomError:
        return None


@pytest.mark.parametrize("value", PLAIN + OTHERS)
def test_the_quick_email_check_answers_as_the_full_one(value):
    quick = _plain_email(value)

    assert quick is None or quick == _full_check(value)
    assert (quick is not None) == (value in PLAIN)


def _file(tmp_path, rows):
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows))
    return path


def _import(store, path, **options):
    seen = []
    with path.open() as handle:
        report = import_orders(
            store=store,
            path=path,
            handle=handle,
            actor=SYSTEM,
            progress=lambda report: seen.append((report.read, len(report.errors))),
            **options,
        )
    return report, seen


@pytest.mark.django_db
def test_a_dry_run_in_workers_reports_in_file_order_and_writes_nothing(store_a, tmp_path):
    rows = [_order(n) for n in range(1, 8)]
    rows[1] = _order(2, currency="EURO")
    rows[4]["lines"][2]["quantity"] = 0
    rows[6] = "[1, 2]"

    report, seen = _import(store_a, _file(tmp_path, rows), workers=2, batch_size=2, dry_run=True)

    assert [(error.row, error.field) for error in report.errors] == [
        (2, "currency"),
        (5, "lines.2.quantity"),
        (7, "order"),
    ]
    assert seen == [(2, 1), (4, 1), (6, 2), (7, 3)]
    assert report.read == 7
    assert not Order.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_write_their_batches_and_a_second_import_applies_the_upsert_rules(tmp_path):
    store = StoreFactory()
    rows = [_order(n, updated_at="2026-03-02T10:00:00Z") for n in range(1, 10)]
    rows[3]["email"] = "nobody"

    report, seen = _import(store, _file(tmp_path, rows), workers=2, batch_size=2)

    assert (report.read, report.created) == (9, 8)
    assert [(error.row, error.field) for error in report.errors] == [(4, "email")]
    assert [read for read, _errors in seen] == [2, 4, 6, 8, 9]
    assert Order.objects.filter(store=store).count() == 8
    assert OrderLine.objects.filter(order__store=store).count() == 24

    rows[3]["email"] = "buyer@example.com"  # now valid: created
    rows[0]["total"] = "50.00"  # a newer version: applied
    rows[1] |= {"total": "40.00", "updated_at": "2026-03-01T10:00:00Z"}  # older: ignored
    report, _seen = _import(store, _file(tmp_path, rows), workers=2, batch_size=2)

    assert (report.created, report.updated, report.unchanged, report.errors) == (1, 1, 7, [])
    totals = dict(Order.objects.filter(store=store).values_list("external_id", "total"))
    assert totals["ext-1"] == Decimal("50.00")
    assert totals["ext-2"] == Decimal("60.00")
    assert len(totals) == 9


def _backend_pid(_item: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_forked_while_the_parent_holds_a_connection_opens_its_own():
    parent = _backend_pid(0)  # the parent's connection is open when the workers are forked

    start = functools.partial(_start_worker, owns_connections=True)
    workers = set(ordered_map(_backend_pid, range(6), workers=2, initializer=start))

    assert parent not in workers
    assert _backend_pid(0) == parent  # and the parent's session goes on
