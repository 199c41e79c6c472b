"""Refunds started by the return's lifecycle, sent in the background, swept and retried by
jobs: exactly once, whatever the store's trigger, a replayed job or a killed worker."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from retour.commerce.models import Payment
from retour.core.actors import Actor
from retour.core.jobs import periodic_jobs, run_ready_jobs
from retour.refunds import jobs, services
from retour.refunds.choices import Gateway, RefundStatus, RefundTrigger
from retour.refunds.credit import issue_credit
from retour.refunds.models import Refund, RefundSettings, StoreCreditAccount
from retour.returns import services as returns
from retour.returns.models import ReturnEvent
from retour.returns.services import LineInspection, LineReceipt
from tests.factories import CustomerFactory, UserFactory
from tests.refunds.helpers import (
    SYSTEM,
    kill_the_worker_after_the_gateway_refunded,
    make_order,
    open_return,
)
from tests.refunds.stripe_server import SECRET, FakeStripe

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe():
    with FakeStripe() as server:
        yield server


def _settings(store, stripe, trigger, **fields):
    return RefundSettings.objects.create(
        store=store,
        gateway=Gateway.STRIPE,
        stripe_secret_key=SECRET,
        stripe_api_base=stripe.url,
        refund_trigger=trigger,
        **fields,
    )


def _receive(return_request, received=None):
    received = received or {}
    return returns.receive_lines(
        return_request=return_request,
        receipts=[
            LineReceipt(line.pk, received.get(line.pk, line.quantity))
            for line in return_request.lines.order_by("id")
        ],
        actor=SYSTEM,
    )


def _inspect(return_request, deductions=None):
    """Inspect every received unit as accepted; `deductions` as the warehouse puts them on the
    `return.inspected` event."""
    return returns.inspect_lines(
        return_request=return_request,
        inspections=[
            LineInspection(line.pk, line.received_qty)
            for line in return_request.lines.order_by("id")
        ],
        actor=SYSTEM,
        event_data={"deductions": deductions or {}},
    )


def test_an_inspected_return_is_refunded_by_the_jobs_with_the_inspections_deductions(
    store_a, stripe
):
    _settings(store_a, stripe, RefundTrigger.INSPECTION)
    order = make_order(store_a)  # 2 × 30 + 1 × 40 = 100 paid by card
    return_request = _receive(open_return(order))
    first = return_request.lines.order_by("id").first()
    run_ready_jobs()
    assert not Refund.objects.exists()  # received is not the store's trigger

    _inspect(return_request, {str(first.pk): {"amount": "7.50", "reason": "Scratched"}})
    run_ready_jobs()

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.amount == D("92.50")
    assert refund.actor_kind == "system"
    assert [request["form"]["amount"] for request in stripe.requests] == ["9250"]
    assert Payment.objects.get(order=order).refunded == D("92.50")
    assert "Scratched" in str(refund.breakdown)


def test_a_store_refunding_at_warehouse_delivery_refunds_the_units_received(store_a, stripe):
    _settings(store_a, stripe, RefundTrigger.WAREHOUSE_DELIVERY)
    order = make_order(store_a)
    first, second = order.lines.order_by("id")
    return_request = open_return(order)
    line_of = {line.order_line_id: line.pk for line in return_request.lines.all()}

    _receive(return_request, {line_of[first.pk]: 1, line_of[second.pk]: 1})
    run_ready_jobs()

    assert Refund.objects.get().amount == D("70.00")  # one of the two 30.00 units came back
    _inspect(return_request)
    run_ready_jobs()
    assert Refund.objects.count() == 1  # the inspection does not start a second refund


def test_a_manual_store_gets_no_automatic_refund(store_a, stripe):
    _settings(store_a, stripe, RefundTrigger.MANUAL)
    _inspect(_receive(open_return(make_order(store_a))))

    run_ready_jobs()

    assert not Refund.objects.exists()


def test_the_refund_job_run_twice_makes_one_refund(store_a, stripe):
    _settings(store_a, stripe, RefundTrigger.INSPECTION)
    return_request = _inspect(_receive(open_return(make_order(store_a))))

    for _run in range(2):
        jobs.start_refund.call(str(return_request.pk), RefundTrigger.INSPECTION, {})
    run_ready_jobs()
    jobs.start_refund.call(str(return_request.pk), RefundTrigger.INSPECTION, {})

    assert Refund.objects.count() == 1
    assert len(stripe.refunds) == 1


def test_a_refund_that_cannot_start_is_written_to_the_returns_events(store_a, stripe):
    _settings(store_a, stripe, RefundTrigger.INSPECTION)
    order = make_order(store_a)
    Payment.objects.filter(order=order).update(refunded=D("100.00"))  # refunded in the shop
    return_request = _inspect(_receive(open_return(order)))

    run_ready_jobs()

    assert not Refund.objects.exists()
    alert = ReturnEvent.objects.get(return_request=return_request, kind="refund_alert")
    assert alert.data["error"]


def test_the_trigger_is_reached_once_and_never_for_a_manual_store():
    reached = services.trigger_reached
    assert reached(RefundTrigger.FIRST_SCAN, from_status="label_issued", to_status="in_transit")
    assert reached(RefundTrigger.FIRST_SCAN, from_status="label_issued", to_status="received")
    assert not reached(RefundTrigger.FIRST_SCAN, from_status="in_transit", to_status="delivered")
    assert not reached(RefundTrigger.APPROVAL, from_status="label_issued", to_status="approved")
    assert not reached(RefundTrigger.MANUAL, from_status="pending_review", to_status="approved")


def test_a_returnless_return_is_refunded_at_approval_whatever_the_store_says():
    settings = RefundSettings(refund_trigger=RefundTrigger.INSPECTION)
    assert services.refund_trigger("keep", settings) == RefundTrigger.APPROVAL
    assert services.refund_trigger("drop_off", settings) == RefundTrigger.INSPECTION


def test_a_refund_awaiting_its_second_approval_is_sent_once_approved(store_a, stripe):
    _settings(store_a, stripe, RefundTrigger.MANUAL, four_eyes_threshold=D("50"))
    return_request = _inspect(_receive(open_return(make_order(store_a))))
    asker, approver = UserFactory(), UserFactory()
    refund = services.request_refund(return_request=return_request, actor=Actor.staff(asker))
    run_ready_jobs()
    assert Refund.objects.get().status == RefundStatus.AWAITING_APPROVAL
    assert stripe.requests == []

    services.approve_refund(refund=refund, actor=Actor.staff(approver))
    run_ready_jobs()

    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert len(stripe.refunds) == 1


def test_a_worker_killed_after_the_gateway_refunded_does_not_pay_twice(
    store_a, stripe, monkeypatch
):
    _settings(store_a, stripe, RefundTrigger.MANUAL)
    order = make_order(store_a)
    refund = services.request_refund(
        return_request=_inspect(_receive(open_return(order))), actor=SYSTEM
    )
    kill_the_worker_after_the_gateway_refunded(refund, monkeypatch)

    assert len(stripe.requests) == 2
    assert len({request["key"] for request in stripe.requests}) == 1
    assert len(stripe.refunds) == 1
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(order=order).refunded == D("100.00")


def test_the_sweeps_are_scheduled():
    scheduled = {item.name: item.every() for item in periodic_jobs()}

    assert scheduled["retour.refunds.jobs.retry_due_refunds"] == timedelta(minutes=1)
    assert scheduled["retour.refunds.jobs.expire_store_credit"] == timedelta(hours=1)


def test_the_expiry_job_removes_expired_credit(store_a):
    customer = CustomerFactory(store=store_a)
    issue_credit(
        store=store_a,
        customer=customer,
        currency="EUR",
        amount=D("20.00"),
        actor=SYSTEM,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    assert jobs.expire_store_credit.call() == 1
    assert StoreCreditAccount.objects.get().balance == D("0")
