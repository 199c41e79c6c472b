"""The orders API: idempotent upsert by the platform's id, and reading an order."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.accounts.scopes import Scope
from retour.commerce.models import AuditEvent, Order, OrderLine
from retour.returns import services
from retour.returns.services import LineRequest
from tests.commerce.payloads import order_payload
from tests.factories import SYSTEM, OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/stores/store-a/orders/external/{}"


def _put(client, payload, external_id="gid-1"):
    return client.put(
        URL.format(external_id), data=json.dumps(payload), content_type="application/json"
    )


def test_the_first_put_creates_the_order(api_a):
    response = _put(api_a, order_payload())

    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["changed"]) == (True, True)
    assert body["order"]["number"] == "5001"


def test_the_same_put_twice_answers_200_unchanged(api_a):
    _put(api_a, order_payload())

    response = _put(api_a, order_payload())

    assert response.status_code == 200
    assert (response.json()["created"], response.json()["changed"]) == (False, False)


def test_the_same_put_twice_leaves_one_order_one_set_of_lines_one_audit_event(api_a):
    _put(api_a, order_payload())
    _put(api_a, order_payload())

    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2
    assert AuditEvent.objects.filter(verb="order.created").count() == 1
    assert not AuditEvent.objects.filter(verb="order.updated").exists()


def test_an_older_update_is_ignored(api_a):
    _put(api_a, order_payload())

    response = _put(
        api_a, order_payload(updated_at="2025-03-01T00:00:00Z", email="old@example.com")
    )

    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert Order.objects.get().email == "shopper@example.com"


def test_a_changed_payload_updates_the_order(api_a):
    _put(api_a, order_payload())

    response = _put(
        api_a, order_payload(updated_at="2025-03-09T00:00:00Z", email="new@example.com")
    )

    assert response.status_code == 200
    assert (response.json()["created"], response.json()["changed"]) == (False, True)
    assert response.json()["order"]["email"] == "new@example.com"
    assert Order.objects.count() == 1


def test_a_number_of_another_external_id_is_409(api_a):
    _put(api_a, order_payload(), external_id="gid-1")

    response = _put(api_a, order_payload(), external_id="gid-2")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Order.objects.count() == 1


def _fulfilled_thrice():
    payload = order_payload()
    payload["fulfillments"][0]["lines"][0]["quantity"] = 3
    return payload


@pytest.mark.parametrize(
    "payload",
    [
        order_payload(currency="EUROS"),
        order_payload(currency="XYZ"),
        order_payload(total="-5.00"),
        order_payload(subtotal="ten"),
        _fulfilled_thrice(),
        order_payload(lines=[]),
        order_payload(email="not-an-email"),
    ],
    ids=[
        "currency-length",
        "unknown-currency",
        "negative-amount",
        "amount-not-a-number",
        "fulfilled-above-ordered",
        "no-lines",
        "bad-email",
    ],
)
def test_an_invalid_order_is_422(api_a, payload):
    response = _put(api_a, payload)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["details"]["errors"]
    assert not Order.objects.exists()


def test_reading_an_order_shows_what_each_line_can_still_return(api_a, order_a):
    first = order_a.lines.order_by("id").first()
    services.create_return(
        order=order_a,
        lines=[LineRequest(first.pk, 1)],
        method="drop_off",
        resolution="refund",
        actor=SYSTEM,
    )

    response = api_a.get(f"/api/v1/stores/store-a/orders/{order_a.number}")

    assert response.status_code == 200
    lines = response.json()["lines"]
    assert [
        (line["quantity"], line["delivered_qty"], line["returnable_qty"]) for line in lines
    ] == [
        (2, 2, 1),
        (1, 1, 1),
    ]


def test_reading_an_unknown_order_is_404(api_a):
    response = api_a.get("/api/v1/stores/store-a/orders/nope")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _queries_to_read(client, order) -> int:
    url = f"/api/v1/stores/{order.store.slug}/orders/{order.number}"
    client.get(url)  # the first call records the key's last use
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_reading_an_order_of_50_lines_makes_as_many_queries_as_one_line(store_a, key_client):
    client = key_client(store_a, [Scope.ORDERS_READ])

    small = _queries_to_read(client, OrderFactory(store=store_a, lines=[1]))
    large = _queries_to_read(client, OrderFactory(store=store_a, lines=[1] * 50))

    assert small == large
    assert large <= 8
