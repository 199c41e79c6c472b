"""On PostgreSQL, with real row locks between connections: the refund job run twice at once
makes one refund, and two redemptions at once cannot spend the same credit."""

from decimal import Decimal

import pytest

from retour.commerce.models import Payment
from retour.refunds import credit, jobs, services
from retour.refunds.choices import Gateway, RefundStatus, RefundTrigger
from retour.refunds.models import Refund, RefundSettings, StoreCreditAccount
from tests.factories import CustomerFactory
from tests.refunds.helpers import SYSTEM, FakeGateway, inspect_return, make_order, open_return
from tests.refunds.test_refund_races_pg import _at_once

D = Decimal
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_refund_job_run_by_two_workers_at_once_makes_one_refund(store_a):
    RefundSettings.objects.create(
        store=store_a,
        gateway=Gateway.STRIPE,
        stripe_secret_key="sk",
        refund_trigger=RefundTrigger.MANUAL,
    )
    order = make_order(store_a)
    return_request = inspect_return(open_return(order))
    gateway = FakeGateway()

    def job():
        jobs.start_refund.call(str(return_request.pk), RefundTrigger.INSPECTION, {})
        for refund in Refund.objects.all():
            services.process_refund(refund.pk, gateways={"stripe": gateway})

    results = _at_once(job, job)

    assert results == [None, None]
    assert Refund.objects.count() == 1
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert len(gateway.by_key) == 1
    assert Payment.objects.get(order=order).refunded == D("100.00")


def test_two_redemptions_at_once_cannot_spend_the_same_credit(store_a):
    customer = CustomerFactory(store=store_a)
    account = credit.issue_credit(
        store=store_a, customer=customer, currency="EUR", amount=D("10.00"), actor=SYSTEM
    )

    def redeem(reference):
        return lambda: credit.redeem_credit(
            store=store_a, code=account.code, amount=D("7.00"), reference=reference, actor=SYSTEM
        )

    results = _at_once(redeem("order-1"), redeem("order-2"))

    assert sorted(type(result).__name__ for result in results) == [
        "InsufficientCredit",
        "StoreCreditEntry",
    ]
    account = StoreCreditAccount.objects.get()
    assert account.balance == D("3.00")
    assert credit.ledger_balance(account) == account.balance
