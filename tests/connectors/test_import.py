"""`retour import orders FILE`: JSON Lines and CSV, errors naming row and field, dry run,
re-import changes nothing."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from retour.commerce.models import Order, OrderLine

pytestmark = pytest.mark.django_db


def _order(n, **changes):
    order = {
        "external_id": f"ext-{n}",
        "number": f"#{n}",
        "email": f"buyer{n % 3}@example.com",
        "currency": "EUR",
        "placed_at": "2026-03-01T10:00:00Z",
        "subtotal": "60.00",
        "total": "60.00",
        "lines": [
            {
                "external_id": f"{n}-{i}",
                "sku": f"SKU-{i}",
                "title": f"Item {i}",
                "quantity": 1,
                "unit_price": "20.00",
            }
            for i in range(3)
        ],
    }
    return order | changes


def _run(tmp_path, name, text, *extra, capsys):
    path = tmp_path / name
    path.write_text(text)
    call_command("import", "orders", str(path), "--store", "store-a", *extra)
    return capsys.readouterr().out


def test_json_lines_are_imported_with_their_lines(store_a, tmp_path, capsys):
    text = "\n".join(json.dumps(_order(n)) for n in range(5))

    out = _run(tmp_path, "orders.jsonl", text, capsys=capsys)

    assert "5 read, 5 created" in out
    assert Order.objects.filter(store=store_a).count() == 5
    assert OrderLine.objects.filter(order__store=store_a).count() == 15
    order = Order.objects.get(external_id="ext-3")
    assert order.total == Decimal("60.00")
    assert order.customer.email == "buyer0@example.com"


def test_a_bad_row_is_reported_by_row_and_field_and_the_others_imported(store_a, tmp_path, capsys):
    rows = [_order(1), _order(2, currency="EURO"), _order(3)]
    rows[2]["lines"][1]["quantity"] = 0

    out = _run(tmp_path, "orders.jsonl", "\n".join(map(json.dumps, rows)), capsys=capsys)

    assert "row 2: currency:" in out
    assert "row 3: lines.1.quantity:" in out
    assert list(Order.objects.values_list("number", flat=True)) == ["#1"]


def test_a_dry_run_writes_nothing(store_a, tmp_path, capsys):
    out = _run(tmp_path, "orders.jsonl", json.dumps(_order(1)), "--dry-run", capsys=capsys)

    assert "dry run" in out
    assert not Order.objects.exists()


def test_importing_the_same_file_twice_changes_nothing(store_a, tmp_path, capsys):
    text = "\n".join(json.dumps(_order(n)) for n in range(3))
    _run(tmp_path, "orders.jsonl", text, capsys=capsys)

    out = _run(tmp_path, "orders.jsonl", text, capsys=capsys)

    assert "0 created, 0 updated, 3 unchanged" in out
    assert Order.objects.count() == 3


def test_csv_rows_of_one_order_become_its_lines(store_a, tmp_path, capsys):
    header = (
        "external_id,number,email,currency,placed_at,subtotal,total,"
        "line_external_id,sku,title,quantity,unit_price,line_discount"
    )
    rows = [
        "e1,#1,a@example.com,EUR,2026-03-01T10:00:00Z,30.00,27.00,l1,SKU-A,Shirt,1,20.00,3.00",
        "e1,#1,a@example.com,EUR,2026-03-01T10:00:00Z,30.00,27.00,l2,SKU-B,Socks,2,5.00,",
        "e2,#2,b@example.com,EUR,2026-03-01T11:00:00Z,5.00,5.00,l3,SKU-B,Socks,1,5.00,",
    ]

    out = _run(tmp_path, "orders.csv", "\n".join([header, *rows]) + "\n", capsys=capsys)

    assert "2 read, 2 created" in out
    lines = Order.objects.get(number="#1").lines.order_by("external_id")
    assert [(x.sku, x.quantity, x.discount) for x in lines] == [
        ("SKU-A", 1, Decimal("3.00")),
        ("SKU-B", 2, Decimal("0")),
    ]


def _fields(order):
    skip = {"id", "created_at", "updated_at", "customer"}
    lines = [
        (line.external_id, line.sku, line.variant.sku, line.quantity, line.unit_price, line.tax)
        for line in order.lines.select_related("variant").order_by("external_id")
    ]
    payments = list(
        order.payments.order_by("reference").values_list(
            "gateway", "reference", "captured", "refunded", "created_at"
        )
    )
    row = {f.attname: getattr(order, f.attname) for f in order._meta.concrete_fields}
    return {k: v for k, v in row.items() if k not in skip | {"customer_id"}}, lines, payments


def _rich(n):
    return _order(
        n,
        paid_at="2026-03-01T10:05:00+01:00",
        updated_at="2026-03-02T08:00:00Z",
        shipping_total="4.90",
        tax_total="10.00",
        total="64.90",
        shipping_address={"line1": "2 rue du Caire", "postcode": "75002", "country": "fr"},
        payments=[
            {"gateway": "gift_card", "method": "gift_card", "reference": f"g{n}",
             "captured": "20.00", "created_at": "2026-03-01T10:00:00Z"},
            {"gateway": "stripe", "reference": f"pi_{n}", "captured": "44.90",
             "refunded": "4.90", "created_at": "2026-03-01T10:00:01Z"},
        ],
    )  # fmt: skip


def test_the_bulk_path_writes_what_the_upsert_writes(store_a, tmp_path, capsys):
    from retour.commerce.inputs import OrderIn
    from retour.commerce.services import upsert_order
    from tests.factories import SYSTEM

    _run(tmp_path, "orders.jsonl", json.dumps(_rich(1)), capsys=capsys)
    reference = _rich(1) | {"number": "#2"}
    del reference["external_id"]
    upsert_order(store=store_a, external_id="ext-2", data=OrderIn(**reference), actor=SYSTEM)

    bulk, upserted = (_fields(Order.objects.get(external_id=f"ext-{n}")) for n in (1, 2))

    for row in (bulk[0], upserted[0]):
        for name in ("external_id", "number", "payload_hash"):  # the re-import test covers the hash
            row.pop(name)
    assert bulk[0] == upserted[0]
    assert [line[1:] for line in bulk[1]] == [line[1:] for line in upserted[1]]
    assert [p[0] for p in bulk[2]] == ["gift_card", "stripe"]
    assert [p[2:] for p in bulk[2]] == [p[2:] for p in upserted[2]]
    order = Order.objects.get(external_id="ext-1")
    assert order.customer.email == "buyer1@example.com"
    assert order.shipping_address["line1"] == "2 rue du Caire"


def test_an_invalid_email_is_reported_with_its_row_and_field(store_a, tmp_path, capsys):
    rows = [
        _order(1, email="not-an-address"),
        _order(2, email="shopper@printer.local"),  # a special-use domain: the API refuses it too
        _order(3, customer={"email": "a@@example.com"}),
        _order(4, email="Mixed.Case+tag@Example.COM"),
    ]

    out = _run(tmp_path, "orders.jsonl", "\n".join(map(json.dumps, rows)), capsys=capsys)

    assert "row 1: email: value is not a valid email address" in out
    assert "row 2: email: value is not a valid email address" in out
    assert "row 3: customer.email: value is not a valid email address" in out
    assert "4 read, 1 created" in out
    assert Order.objects.get().email == "mixed.case+tag@example.com"


def test_the_payload_hash_is_the_upserts(store_a, tmp_path, capsys):
    import hashlib

    from retour.commerce.inputs import OrderIn

    _run(tmp_path, "orders.jsonl", json.dumps(_rich(1)), capsys=capsys)

    payload = _rich(1)
    del payload["external_id"]
    expected = hashlib.sha256(OrderIn(**payload).model_dump_json().encode()).hexdigest()
    assert Order.objects.get().payload_hash == expected


def test_a_repeated_order_is_updated_and_a_taken_number_reported(store_a, tmp_path, capsys):
    rows = [_order(1), _order(2), _order(1, total="55.00"), _order(3, number="#1")]

    out = _run(tmp_path, "orders.jsonl", "\n".join(map(json.dumps, rows)), capsys=capsys)

    assert "4 read, 2 created, 1 updated, 0 unchanged, 1 with errors" in out
    assert "row 4: order: Order number #1 already belongs to another order." in out
    assert Order.objects.get(external_id="ext-1").total == Decimal("55.00")
    assert OrderLine.objects.filter(order__external_id="ext-1").count() == 3


def test_a_line_that_is_not_json_is_reported_and_a_numeric_id_taken_as_text(
    store_a, tmp_path, capsys
):
    text = "\n".join([json.dumps(_order(1, external_id=1001)), "{not json", json.dumps(_order(3))])

    out = _run(tmp_path, "orders.jsonl", text, capsys=capsys)

    assert "row 2: order: Invalid JSON" in out
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["1001", "ext-3"]


def test_customers_and_shared_products_are_created_as_the_upsert_creates_them(
    store_a, tmp_path, capsys
):
    from retour.commerce.models import Customer, Variant

    order = _order(1, customer={"email": "Ann@Example.com", "first_name": "Ann"})
    for line in order["lines"][:2]:
        line["product_external_id"] = "P-1"

    _run(tmp_path, "orders.jsonl", json.dumps(order), capsys=capsys)

    assert Customer.objects.get(email="ann@example.com").first_name == "Ann"
    products = {v.sku: v.product for v in Variant.objects.select_related("product")}
    assert products["SKU-0"] == products["SKU-1"] != products["SKU-2"]
    assert products["SKU-0"].external_id == "P-1"


def test_a_number_another_order_has_is_reported_and_the_batch_written(store_a, tmp_path, capsys):
    _run(tmp_path, "first.jsonl", json.dumps(_order(1)), capsys=capsys)
    rows = [_order(2), _order(9, number="#1"), _order(3)]

    out = _run(tmp_path, "orders.jsonl", "\n".join(map(json.dumps, rows)), capsys=capsys)

    assert "row 2: order: Order number #1 already belongs to another order." in out
    assert "3 read, 2 created, 0 updated, 0 unchanged, 1 with errors" in out
    ids = sorted(Order.objects.values_list("external_id", flat=True))
    assert ids == ["ext-1", "ext-2", "ext-3"]


def test_tabs_newlines_and_backslashes_are_written_as_given(store_a, tmp_path, capsys):
    awkward = 'Tee\t"XL"\nline two\\n \\N \r end'
    address = {"line1": "2 rue\tdu Caire\\", "line2": "\\N", "postcode": "75002"}
    order = _order(1, shipping_address=address, locale="fr")
    order["lines"][0] |= {"title": awkward, "options": {"size": "L\\X\tL", "note": "\\N"}}
    _run(tmp_path, "orders.jsonl", json.dumps(order), capsys=capsys)

    written = Order.objects.get(external_id="ext-1")
    line = written.lines.get(external_id="1-0")
    assert line.title == awkward
    assert line.options == {"size": "L\\X\tL", "note": "\\N"}
    assert written.shipping_address["line1"] == "2 rue\tdu Caire\\"
    assert written.shipping_address["line2"] == "\\N"
    assert written.paid_at is None
    assert written.taxes_included is True


def test_a_customer_already_there_is_left_as_it_is(store_a):
    from retour.commerce.models import Customer
    from retour.connectors import rows

    Customer.objects.create(store=store_a, email="a@example.com", first_name="Ann")
    rows.Table(Customer).write(
        [
            {"store_id": store_a.pk, "email": email, "first_name": "New"}
            for email in ("a@example.com", "b@example.com")
        ],
        ignore_conflicts=True,
    )
    customers = Customer.objects.filter(store=store_a).values_list("email", "first_name")
    assert dict(customers) == {"a@example.com": "Ann", "b@example.com": "New"}


def test_orders_created_after_an_import_get_ids_of_their_own(store_a, tmp_path, capsys):
    from retour.commerce.inputs import OrderIn
    from retour.commerce.services import upsert_order
    from tests.factories import SYSTEM

    _run(tmp_path, "orders.jsonl", "\n".join(json.dumps(_order(n)) for n in (1, 2)), capsys=capsys)
    later = _order(3)
    del later["external_id"]
    result = upsert_order(store=store_a, external_id="ext-3", data=OrderIn(**later), actor=SYSTEM)

    imported = set(
        Order.objects.filter(external_id__in=["ext-1", "ext-2"]).values_list("id", flat=True)
    )
    assert result.created
    assert result.order.pk not in imported
    assert OrderLine.objects.filter(order__external_id="ext-2").count() == 3
