"""Finding an order for a shopper who types its number and their e-mail or postcode."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.commerce.selectors import find_order_for_shopper
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store_a):
    customer = CustomerFactory(store=store_a, email="jane.doe@example.com")
    return OrderFactory(
        store=store_a, customer=customer, number="1042", shipping_postcode="SW1A1AA"
    )


def _find(order, **kwargs):
    return find_order_for_shopper(store_id=order.store_id, **kwargs)


def test_it_finds_the_order_by_number_and_email(order):
    assert _find(order, number="1042", email="jane.doe@example.com") == order


def test_it_ignores_the_case_of_the_email(order):
    assert _find(order, number="1042", email="  Jane.DOE@Example.com ") == order


def test_it_accepts_a_number_typed_with_a_hash(order):
    assert _find(order, number=" #1042 ", email="jane.doe@example.com") == order


@pytest.mark.parametrize("typed", ["1043", "#1043", " #1043"])
def test_a_number_the_platform_keeps_with_a_hash_is_found_typed_either_way(order, typed):
    shopify_named = OrderFactory(
        store=order.store, customer=order.customer, email=order.email, number="#1043"
    )

    assert _find(order, number=typed, email="jane.doe@example.com") == shopify_named


def test_it_finds_the_order_by_postcode(order):
    assert _find(order, number="1042", postcode="sw1a 1aa") == order


def test_a_wrong_postcode_finds_nothing(order):
    assert _find(order, number="1042", postcode="SW1A 2AA") is None


def test_a_wrong_email_finds_nothing(order):
    assert _find(order, number="1042", email="john@example.com") is None


def test_a_wrong_number_finds_nothing(order):
    assert _find(order, number="9999", email="jane.doe@example.com") is None


def test_neither_email_nor_postcode_finds_nothing(order):
    assert _find(order, number="1042") is None


def test_an_order_of_another_store_is_not_found(order, store_b):
    assert (
        find_order_for_shopper(store_id=store_b.pk, number="1042", email="jane.doe@example.com")
        is None
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"number": "1042", "email": "jane.doe@example.com"},
        {"number": "1042", "email": "wrong@example.com"},
        {"number": "9999", "email": "jane.doe@example.com"},
        {"number": "1042", "postcode": "SW1A1AA"},
    ],
    ids=["match", "wrong-email", "wrong-number", "postcode"],
)
def test_it_makes_at_most_three_queries(order, kwargs):
    with CaptureQueriesContext(connection) as queries:
        _find(order, **kwargs)

    assert len(queries.captured_queries) <= 3
