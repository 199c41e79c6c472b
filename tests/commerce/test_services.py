"""Orders pushed by a platform: created once, updated when they change, never duplicated."""

import pytest

from retour.commerce.inputs import OrderIn
from retour.commerce.models import (
    AuditEvent,
    Customer,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Store,
)
from retour.commerce.services import create_store, upsert_order
from retour.core.errors import Conflict
from retour.returns import services as return_services
from tests.commerce.payloads import order_payload

pytestmark = pytest.mark.django_db


def _upsert(store, actor, external_id="gid-1", **overrides):
    payload = order_payload(**overrides)
    return upsert_order(
        store=store, external_id=external_id, data=OrderIn.model_validate(payload), actor=actor
    )


def test_it_creates_the_order_with_lines_payments_and_fulfillments(store_a, actor):
    result = _upsert(store_a, actor)

    order = result.order
    assert (result.created, result.changed) == (True, True)
    assert [(line.external_id, line.quantity) for line in order.lines.all()] == [
        ("L0", 2),
        ("L1", 1),
    ]
    assert order.payments.count() == 1
    assert FulfillmentLine.objects.filter(fulfillment__order=order).count() == 2


def test_it_normalises_email_and_postcode(store_a, actor):
    order = _upsert(store_a, actor).order

    assert (order.email, order.shipping_postcode, order.shipping_country) == (
        "shopper@example.com",
        "75001",
        "FR",
    )


def test_the_same_payload_twice_changes_nothing(store_a, actor):
    _upsert(store_a, actor)

    result = _upsert(store_a, actor)

    assert (result.created, result.changed) == (False, False)
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2
    assert Payment.objects.count() == 1
    assert FulfillmentLine.objects.count() == 2
    assert AuditEvent.objects.filter(verb__startswith="order.").count() == 1


def test_an_older_update_is_ignored(store_a, actor):
    _upsert(store_a, actor)

    result = _upsert(store_a, actor, updated_at="2025-03-01T00:00:00Z", email="late@example.com")

    assert result.changed is False
    assert Order.objects.get().email == "shopper@example.com"


def test_a_changed_payload_updates_the_order(store_a, actor):
    _upsert(store_a, actor)

    result = _upsert(store_a, actor, updated_at="2025-03-03T00:00:00Z", email="new@example.com")

    assert (result.created, result.changed) == (False, True)
    assert Order.objects.get().email == "new@example.com"
    assert OrderLine.objects.count() == 2
    assert AuditEvent.objects.filter(verb="order.updated").count() == 1


def test_a_removed_line_is_deleted(store_a, actor):
    _upsert(store_a, actor)

    _upsert(store_a, actor, lines=order_payload(line_count=1)["lines"], fulfillments=[])

    assert list(OrderLine.objects.values_list("external_id", flat=True)) == ["L0"]


def test_a_line_with_a_return_cannot_be_removed(store_a, actor):
    order = _upsert(store_a, actor).order
    line = order.lines.get(external_id="L1")
    return_services.create_return(
        order=order,
        lines=[return_services.LineRequest(line.pk, 1)],
        method="drop_off",
        resolution="refund",
        actor=actor,
    )

    with pytest.raises(Conflict):
        _upsert(store_a, actor, lines=order_payload(line_count=1)["lines"], fulfillments=[])

    assert OrderLine.objects.count() == 2


def test_a_shipment_no_longer_listed_is_kept(store_a, actor):
    _upsert(store_a, actor)

    _upsert(store_a, actor, updated_at="2025-03-05T00:00:00Z", fulfillments=[])

    assert Fulfillment.objects.count() == 1


def test_an_order_number_of_another_external_id_is_a_conflict(store_a, actor):
    _upsert(store_a, actor, external_id="gid-1")

    with pytest.raises(Conflict):
        _upsert(store_a, actor, external_id="gid-2")

    assert Order.objects.count() == 1


def test_the_same_number_in_another_store_is_no_conflict(store_a, store_b, actor):
    _upsert(store_a, actor)

    _upsert(store_b, actor)

    assert Order.objects.count() == 2


def test_two_variants_of_one_product_in_one_order_share_the_product(store_a, actor):
    lines = order_payload()["lines"]
    for line in lines:
        line["product_external_id"] = "SHIRT"

    _upsert(store_a, actor, lines=lines)

    assert Product.objects.filter(store=store_a, external_id="SHIRT").count() == 1
    assert Product.objects.get(external_id="SHIRT").variants.count() == 2


def test_a_new_variant_of_a_known_product_joins_it(store_a, actor):
    _upsert(store_a, actor)
    lines = order_payload(line_count=1)["lines"]
    lines[0] |= {"sku": "TEE-NEW", "product_external_id": "P0"}

    _upsert(store_a, actor, external_id="gid-2", number="5002", lines=lines, fulfillments=[])

    assert Product.objects.get(store=store_a, external_id="P0").variants.count() == 2


def test_it_reuses_the_customer_of_the_same_email(store_a, actor):
    _upsert(store_a, actor)

    _upsert(store_a, actor, external_id="gid-2", number="5002")

    assert Customer.objects.filter(store=store_a).count() == 1


def test_create_store_records_an_audit_event(actor):
    store = create_store(name="Shop", slug="shop", currency="eur", country="fr", actor=actor)

    assert (store.currency, store.country, store.locales) == ("EUR", "FR", ["en"])
    assert AuditEvent.objects.get(store=store).verb == "store.created"
    assert Store.objects.count() == 1
