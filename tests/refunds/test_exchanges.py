"""Exchanges: the replacement's stock is reserved at request; the price difference is exact."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from retour.commerce.models import StockLevel, StockMovement
from retour.refunds import exchanges
from retour.refunds.choices import ExchangeStatus
from tests.factories import VariantFactory, WarehouseFactory
from tests.refunds.helpers import SYSTEM, make_order, open_return

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(store_a):
    return WarehouseFactory(store=store_a)


def _stock(warehouse, variant, on_hand):
    return StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=on_hand)


def _exchange_line(store, price="30.00", order_discount="0"):
    order = make_order(store, lines=[(1, price, "0", "0")], order_discount=order_discount)
    return open_return(order, resolution="exchange").lines.get()


def test_an_exchange_reserves_the_replacement_stock(store_a, warehouse):
    variant = VariantFactory(store=store_a, price=D("30.00"))
    level = _stock(warehouse, variant, on_hand=1)
    line = _exchange_line(store_a)
    exchange = exchanges.request_exchange(return_line=line, variant=variant, actor=SYSTEM)
    assert exchange.status == ExchangeStatus.RESERVED
    assert exchange.price_difference == 0
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (1, 1)
    movements = StockMovement.objects.filter(reason=StockMovement.Reason.RESERVATION)
    assert movements.aggregate(total=Sum("delta"))["total"] == level.reserved


def test_the_last_unit_cannot_be_reserved_twice(store_a, warehouse):
    variant = VariantFactory(store=store_a)
    _stock(warehouse, variant, on_hand=1)
    exchanges.request_exchange(return_line=_exchange_line(store_a), variant=variant, actor=SYSTEM)
    with pytest.raises(exchanges.OutOfStock):
        exchanges.request_exchange(
            return_line=_exchange_line(store_a), variant=variant, actor=SYSTEM
        )


def test_a_dearer_replacement_asks_the_shopper_to_pay_the_difference(store_a, warehouse):
    variant = VariantFactory(store=store_a, price=D("45.00"))
    _stock(warehouse, variant, on_hand=3)
    # Paid 30 − 3 (the order discount): the difference is 45 − 27.
    line = _exchange_line(store_a, order_discount="3.00")
    exchange = exchanges.request_exchange(
        return_line=line, variant=variant, actor=SYSTEM, payment_link="https://pay.example/x"
    )
    assert (exchange.returned_value, exchange.new_value) == (D("27.00"), D("45.00"))
    assert exchange.price_difference == D("18.00")
    assert exchange.status == ExchangeStatus.AWAITING_PAYMENT
    exchange = exchanges.record_difference_paid(exchange=exchange, actor=SYSTEM)
    assert exchange.status == ExchangeStatus.RESERVED


def test_a_cheaper_replacement_gives_the_difference_back(store_a, warehouse):
    variant = VariantFactory(store=store_a, price=D("19.99"))
    _stock(warehouse, variant, on_hand=3)
    exchange = exchanges.request_exchange(
        return_line=_exchange_line(store_a), variant=variant, actor=SYSTEM
    )
    assert exchange.price_difference == D("-10.01")


def test_an_instant_exchange_orders_the_replacement_at_once_with_a_deadline(store_a, warehouse):
    variant = VariantFactory(store=store_a, price=D("30.00"))
    _stock(warehouse, variant, on_hand=2)
    line = _exchange_line(store_a)
    exchange = exchanges.request_exchange(
        return_line=line, variant=variant, actor=SYSTEM, instant=True, return_due_days=10
    )
    exchange.refresh_from_db()
    assert exchange.status == ExchangeStatus.ORDERED
    assert exchange.return_due_by is not None
    replacement = exchange.replacement_order
    assert replacement.number.startswith(line.return_request.order.number)
    assert replacement.total == 0  # paid by the returned item
    assert replacement.lines.get().variant == variant


def test_releasing_an_exchange_gives_the_stock_back(store_a, warehouse):
    variant = VariantFactory(store=store_a)
    level = _stock(warehouse, variant, on_hand=1)
    exchange = exchanges.request_exchange(
        return_line=_exchange_line(store_a), variant=variant, actor=SYSTEM
    )
    exchanges.release_exchange(exchange=exchange, actor=SYSTEM, reason="changed mind")
    level.refresh_from_db()
    assert level.reserved == 0
    movements = StockMovement.objects.filter(reason=StockMovement.Reason.RESERVATION)
    assert movements.aggregate(total=Sum("delta"))["total"] == 0
