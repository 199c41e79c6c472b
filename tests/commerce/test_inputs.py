"""Validation of an order pushed by a platform (the API's request schema)."""

import pytest
from pydantic import ValidationError

from retour.commerce.inputs import OrderIn
from tests.commerce.payloads import order_payload


def test_a_complete_order_is_valid():
    data = OrderIn.model_validate(order_payload())

    assert data.currency == "EUR"


def test_the_currency_is_upper_cased():
    assert OrderIn.model_validate(order_payload(currency="eur")).currency == "EUR"


def test_it_refuses_an_unknown_currency():
    with pytest.raises(ValidationError):
        OrderIn.model_validate(order_payload(currency="XYZ"))


def test_it_refuses_a_negative_amount():
    with pytest.raises(ValidationError):
        OrderIn.model_validate(order_payload(total="-1.00"))


def test_it_refuses_a_fulfilment_above_the_ordered_quantity():
    payload = order_payload()
    payload["fulfillments"][0]["lines"][0]["quantity"] = 3

    with pytest.raises(ValidationError):
        OrderIn.model_validate(payload)


def test_it_refuses_a_fulfilment_of_an_unknown_line():
    payload = order_payload()
    payload["fulfillments"][0]["lines"][0]["line_external_id"] = "nope"

    with pytest.raises(ValidationError):
        OrderIn.model_validate(payload)


def test_it_refuses_two_lines_with_the_same_id():
    payload = order_payload()
    payload["lines"][1]["external_id"] = payload["lines"][0]["external_id"]

    with pytest.raises(ValidationError):
        OrderIn.model_validate(payload)


def test_it_refuses_a_refund_above_the_capture():
    payload = order_payload()
    payload["payments"][0]["refunded"] = "999.00"

    with pytest.raises(ValidationError):
        OrderIn.model_validate(payload)


def test_it_refuses_an_unknown_field():
    with pytest.raises(ValidationError):
        OrderIn.model_validate(order_payload(coupon="FREE"))
