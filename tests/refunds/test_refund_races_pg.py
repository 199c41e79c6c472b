"""Two workers at once, on PostgreSQL (real row locks between connections): exactly one refund.

Like Saleor's race tests, a pause is injected between the read and the write of the first
worker, so that the second one arrives while the first is inside its transaction.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from retour.commerce.models import Payment
from retour.refunds import allocation, services
from retour.refunds.choices import Gateway, RefundStatus
from retour.refunds.models import Refund, RefundSettings
from tests.refunds.helpers import SYSTEM, FakeGateway, inspect_return, make_order, open_return

D = Decimal
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(*calls):
    """Run the calls in threads (each with its own database connection) started together."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def slow_split(monkeypatch):
    """Pause inside the transaction, after the payments were read, before anything is written."""
    original = allocation.split_over_payments

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "split_over_payments", slow)


@pytest.fixture
def store(store_a):
    RefundSettings.objects.create(store=store_a, gateway=Gateway.STRIPE, stripe_secret_key="sk")
    return store_a


def test_two_workers_refunding_the_same_return_make_one_refund(store, slow_split):
    order = make_order(store)
    return_request = inspect_return(open_return(order))
    gateway = FakeGateway()

    def refund():
        found = services.request_refund(return_request=return_request, actor=SYSTEM)
        return services.process_refund(found.pk, gateways={"stripe": gateway})

    results = _at_once(refund, refund)
    assert all(isinstance(result, Refund) for result in results), results
    assert Refund.objects.count() == 1
    assert len(gateway.by_key) == 1
    assert Payment.objects.get(order=order).refunded == D("100.00")
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED


def test_two_returns_of_one_order_cannot_both_use_the_last_headroom(store, slow_split):
    order = make_order(store, lines=[(1, "50.00", "0", "0"), (1, "50.00", "0", "0")])
    Payment.objects.filter(order=order).update(refunded=D("50.00"))  # refunded in the shop
    first, second = order.lines.order_by("id")
    r1 = inspect_return(open_return(order, {first.pk: 1}))
    r2 = inspect_return(open_return(order, {second.pk: 1}))
    results = _at_once(
        lambda: services.request_refund(return_request=r1, actor=SYSTEM),
        lambda: services.request_refund(return_request=r2, actor=SYSTEM),
    )
    assert sorted(type(result).__name__ for result in results) == ["NotRefundable", "Refund"]
    assert Refund.objects.count() == 1


def test_two_workers_processing_one_refund_call_the_gateway_once(store):
    order = make_order(store)
    refund = services.request_refund(
        return_request=inspect_return(open_return(order)), actor=SYSTEM
    )
    gateway = FakeGateway()
    original = gateway.create_refund

    def slow_create(**kwargs):
        time.sleep(0.3)
        return original(**kwargs)

    gateway.create_refund = slow_create
    results = _at_once(
        lambda: services.process_refund(refund.pk, gateways={"stripe": gateway}),
        lambda: services.process_refund(refund.pk, gateways={"stripe": gateway}),
    )
    assert all(isinstance(result, Refund) for result in results), results
    assert gateway.calls == 1  # the second worker found the lease and left
    assert Payment.objects.get(order=order).refunded == D("100.00")
