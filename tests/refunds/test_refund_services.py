"""Refund records: amounts reserved under lock, processed after commit, never twice."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from retour.commerce.models import Order, Payment
from retour.core.actors import Actor
from retour.core.errors import Conflict, PermissionDenied
from retour.events.models import OutboxEvent
from retour.policy.services import publish_policy
from retour.refunds import selectors, services
from retour.refunds.adapters import PermanentGatewayError, TransientGatewayError
from retour.refunds.allocation import NotRefundable
from retour.refunds.choices import (
    AllocationStatus,
    Destination,
    Gateway,
    RefundStatus,
    RefundTrigger,
    ShippingRule,
)
from retour.refunds.credit import ledger_balance
from retour.refunds.models import Refund, RefundAllocation, RefundSettings, StoreCreditAccount
from retour.returns.choices import ReturnStatus
from tests.factories import UserFactory
from tests.refunds.helpers import SYSTEM, FakeGateway, inspect_return, make_order, open_return
from tests.refunds.stripe_server import SECRET, FakeStripe

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_store(store_a):
    RefundSettings.objects.create(
        store=store_a,
        gateway=Gateway.STRIPE,
        stripe_secret_key=SECRET,
        shipping_rule=ShippingRule.WHOLE_ORDER,
    )
    return store_a


def _refund_all(order, **kwargs):
    return_request = inspect_return(open_return(order), **kwargs)
    return services.request_refund(return_request=return_request, actor=SYSTEM)


def test_the_refund_follows_the_units_accepted_not_the_units_announced(stripe_store):
    order = make_order(stripe_store, lines=[(3, "10.00", "0", "0")])
    line = order.lines.get()
    refund = _refund_all(order, received={line.pk: 3}, accepted={line.pk: 2})
    assert refund.amount == D("20.00")
    assert [(rl.quantity, rl.amount) for rl in refund.lines.all()] == [(2, D("20.00"))]
    assert refund.differences[0]["code"] == "quantity"


def test_a_refund_reserves_its_amount_on_the_payment_before_any_money_moves(stripe_store):
    order = make_order(stripe_store, payments=[("card", "100.00")])
    refund = _refund_all(order)
    assert refund.status == RefundStatus.REQUESTED
    (allocation,) = refund.allocations.all()
    assert (allocation.amount, allocation.status) == (D("100.00"), AllocationStatus.PENDING)
    (balance,) = services.payment_balances(list(order.payments.all()))
    assert balance.available == 0  # pending counts against the payment
    assert Payment.objects.get(order=order).refunded == 0


def test_a_processed_refund_updates_the_payment_the_order_and_the_return(stripe_store):
    order = make_order(stripe_store, shipping="4.90")
    refund = _refund_all(order)
    assert refund.amount == D("104.90")  # the whole order came back: shipping too
    gateway = FakeGateway()
    refund = services.process_refund(refund.pk, gateways={"stripe": gateway})
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.expected_by is not None
    payment = Payment.objects.get(order=order)
    assert payment.refunded == payment.captured == D("104.90")
    assert Order.objects.get(pk=order.pk).financial_status == Order.FinancialStatus.REFUNDED
    return_request = refund.return_request
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.RESOLVED
    kinds = list(return_request.events.values_list("kind", flat=True))
    assert "refund_succeeded" in kinds
    (allocation,) = refund.allocations.all()
    assert gateway.by_key.keys() == {allocation.idempotency_key}
    event = OutboxEvent.objects.get(type="refund.succeeded")  # for the platform and e-mails
    assert event.payload["refund"]["reference"] == refund.reference
    assert event.payload["refund"]["amount"] == "104.90"
    assert allocation.idempotency_key.startswith(f"retour-{return_request.rma}-1")


def test_a_double_click_makes_one_refund(stripe_store):
    order = make_order(stripe_store)
    return_request = inspect_return(open_return(order))
    first = services.request_refund(return_request=return_request, actor=SYSTEM)
    second = services.request_refund(return_request=return_request, actor=SYSTEM)
    assert first.pk == second.pk
    gateway = FakeGateway()
    services.process_refund(first.pk, gateways={"stripe": gateway})
    services.process_refund(first.pk, gateways={"stripe": gateway})
    with pytest.raises(services.NothingToRefund):
        services.request_refund(return_request=return_request, actor=SYSTEM)
    assert Refund.objects.count() == 1
    assert gateway.calls == 1
    assert Payment.objects.get(order=order).refunded == D("100.00")


def test_the_database_refuses_a_second_refund_in_flight_for_a_return(stripe_store):
    order = make_order(stripe_store)
    refund = _refund_all(order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            store=refund.store,
            return_request=refund.return_request,
            order=order,
            reference="RF-TEST-0001",
            sequence=2,
            idempotency_key="other",
            currency="EUR",
            actor_kind="system",
        )


def test_original_shipping_is_refunded_once_even_across_returns(stripe_store):
    RefundSettings.objects.filter(store=stripe_store).update(
        shipping_rule=ShippingRule.MERCHANT_FAULT
    )
    order = make_order(stripe_store, shipping="5.00")
    first_line, second_line = order.lines.order_by("id")
    damaged = stripe_store.return_reasons.filter(merchant_fault=True).first()
    assert damaged is not None
    r1 = open_return(order, {first_line.pk: 1})
    r1.lines.update(reason=damaged)
    first = services.request_refund(return_request=inspect_return(r1), actor=SYSTEM)
    r2 = open_return(order, {second_line.pk: 1})
    r2.lines.update(reason=damaged)
    second = services.request_refund(return_request=inspect_return(r2), actor=SYSTEM)
    assert (first.includes_shipping, second.includes_shipping) == (True, False)
    assert (first.amount, second.amount) == (D("35.00"), D("40.00"))


def test_nothing_is_refunded_above_what_the_payments_can_give(stripe_store):
    order = make_order(stripe_store, payments=[("card", "100.00")])
    Payment.objects.filter(order=order).update(refunded=D("80.00"))  # refunded in the shop
    return_request = inspect_return(open_return(order))
    with pytest.raises(NotRefundable):
        services.request_refund(return_request=return_request, actor=SYSTEM)
    assert not Refund.objects.exists()


def test_a_gift_card_is_refunded_first_when_the_store_says_so(stripe_store):
    RefundSettings.objects.filter(store=stripe_store).update(gift_card_first=True)
    order = make_order(stripe_store, payments=[("card", "70.00"), ("gift_card", "30.00")])
    line = order.lines.order_by("id").first()
    return_request = inspect_return(open_return(order, {line.pk: 1}))
    refund = services.request_refund(return_request=return_request, actor=SYSTEM)
    parts = [(a.payment.method, a.amount) for a in refund.allocations.order_by("id")]
    assert parts == [("gift_card", D("30.00"))]


def test_the_refund_waits_for_the_stores_trigger(stripe_store):
    order = make_order(stripe_store)
    return_request = open_return(order)
    with pytest.raises(services.RefundNotDue):
        services.request_refund(return_request=return_request, actor=SYSTEM)
    # A trusted shopper's returnless refund starts at approval, for the announced units.
    refund = services.request_refund(
        return_request=return_request, actor=SYSTEM, trigger=RefundTrigger.APPROVAL
    )
    assert refund.amount == D("100.00")


def test_a_staff_override_names_its_author(stripe_store):
    order = make_order(stripe_store, lines=[(2, "10.00", "0", "0")])
    line = order.lines.get()
    return_request = inspect_return(open_return(order), accepted={line.pk: 1})
    return_line = return_request.lines.get()
    with pytest.raises(PermissionDenied):
        services.request_refund(
            return_request=return_request, actor=SYSTEM, quantities={return_line.pk: 2}
        )
    staff = UserFactory()
    refund = services.request_refund(
        return_request=return_request,
        actor=Actor.staff(staff),
        quantities={return_line.pk: 2},
        override_reason="Shopper sent a photo; goodwill",
    )
    assert (refund.amount, refund.override_author_id) == (D("20.00"), staff.pk)


def test_a_large_refund_needs_a_second_person(stripe_store):
    RefundSettings.objects.filter(store=stripe_store).update(four_eyes_threshold=D("50"))
    order = make_order(stripe_store)
    first, second = UserFactory(), UserFactory()
    return_request = inspect_return(open_return(order))
    refund = services.request_refund(return_request=return_request, actor=Actor.staff(first))
    assert refund.status == RefundStatus.AWAITING_APPROVAL
    services.process_refund(refund.pk, gateways={"stripe": FakeGateway()})
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.AWAITING_APPROVAL
    with pytest.raises(PermissionDenied):
        services.approve_refund(refund=refund, actor=Actor.staff(first))
    refund = services.approve_refund(refund=refund, actor=Actor.staff(second))
    assert (refund.status, refund.approved_by_id) == (RefundStatus.REQUESTED, second.pk)


def test_a_timed_out_gateway_is_retried_with_backoff_and_refunds_once(stripe_store):
    order = make_order(stripe_store)
    refund = _refund_all(order)
    with FakeStripe() as stripe:
        stripe.mode, stripe.delay = "slow_once", 1.0
        RefundSettings.objects.filter(store=stripe_store).update(stripe_api_base=stripe.url)
        from retour.refunds.adapters import StripeGateway

        gateway = StripeGateway(secret_key=SECRET, base_url=stripe.url, timeout=0.3)
        refund = services.process_refund(refund.pk, gateways={"stripe": gateway})
        assert refund.status == RefundStatus.PROCESSING
        assert refund.next_try_at is not None
        # The job runs before the backoff: nothing happens; after it: the same key again.
        assert services.retry_due_refunds(now=refund.next_try_at - services.LEASE) == 0
        services.retry_due_refunds(now=refund.next_try_at, gateways={"stripe": gateway})
        refund.refresh_from_db()
        assert refund.status == RefundStatus.SUCCEEDED
        assert len(stripe.refunds) == 1
        keys = {request["key"] for request in stripe.requests}
        assert len(stripe.requests) == 2
        assert len(keys) == 1
    assert Payment.objects.get(order=order).refunded == D("100.00")


def test_retries_run_out_then_finance_is_alerted(stripe_store):
    RefundSettings.objects.filter(store=stripe_store).update(max_tries=2)
    order = make_order(stripe_store)
    refund = _refund_all(order)
    gateway = FakeGateway(error=TransientGatewayError("Stripe answered HTTP 500"))
    refund = services.process_refund(refund.pk, gateways={"stripe": gateway})
    refund = services.process_refund(
        refund.pk, gateways={"stripe": gateway}, now=refund.next_try_at
    )
    assert refund.status == RefundStatus.FAILED
    assert "refund_alert" in refund.return_request.events.values_list("kind", flat=True)
    # The outcome is unknown: the part stays pending (reserved) and keeps its key.
    (allocation,) = refund.allocations.all()
    assert allocation.status == AllocationStatus.PENDING
    gateway.error = None
    refund = services.retry_refund(refund=refund, actor=SYSTEM)
    refund = services.process_refund(refund.pk, gateways={"stripe": gateway})
    assert refund.status == RefundStatus.SUCCEEDED
    assert list(gateway.by_key) == [allocation.idempotency_key]


def test_a_refused_refund_releases_the_payment_and_can_be_retried_with_a_new_key(stripe_store):
    order = make_order(stripe_store)
    refund = _refund_all(order)
    refused = FakeGateway(error=PermanentGatewayError("charge_already_refunded"))
    refund = services.process_refund(refund.pk, gateways={"stripe": refused})
    assert refund.status == RefundStatus.FAILED
    (balance,) = services.payment_balances(list(order.payments.all()))
    assert balance.available == D("100.00")
    first_key = refund.allocations.get().idempotency_key
    services.retry_refund(refund=refund, actor=SYSTEM)
    allocation = refund.allocations.get()
    assert allocation.idempotency_key != first_key
    assert allocation.attempt == 2
    refund = services.process_refund(refund.pk, gateways={"stripe": FakeGateway()})
    assert refund.status == RefundStatus.SUCCEEDED


def test_a_manual_refund_waits_for_finance_to_record_its_reference(store_a, owner_a):
    order = make_order(store_a)
    refund = _refund_all(order)
    refund = services.process_refund(refund.pk)
    assert refund.status == RefundStatus.PROCESSING
    (allocation,) = refund.allocations.all()
    with pytest.raises(PermissionDenied):
        services.record_manual_refund(allocation=allocation, reference="VIR-1", actor=SYSTEM)
    refund = services.record_manual_refund(
        allocation=allocation, reference="VIR-2026-0042", actor=Actor.staff(owner_a)
    )
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.allocations.get().gateway_reference == "VIR-2026-0042"
    assert Payment.objects.get(order=order).refunded == D("100.00")


def test_finance_cannot_record_by_hand_a_part_stripe_is_still_sending(stripe_store, owner_a):
    from retour.refunds.adapters import GatewayStatus

    order = make_order(stripe_store)
    refund = _refund_all(order)
    refund = services.process_refund(
        refund.pk, gateways={"stripe": FakeGateway(status=GatewayStatus.PENDING)}
    )
    (allocation,) = refund.allocations.all()
    with pytest.raises(Conflict):  # Stripe's answer is on its way: a transfer would pay twice
        services.record_manual_refund(
            allocation=allocation, reference="VIR-1", actor=Actor.staff(owner_a)
        )
    assert Payment.objects.get(order=order).refunded == D("0")


def test_a_webhook_settles_a_pending_stripe_refund_once(stripe_store):
    from retour.refunds.adapters import GatewayRefund, GatewayStatus

    order = make_order(stripe_store)
    refund = _refund_all(order)
    refund = services.process_refund(
        refund.pk, gateways={"stripe": FakeGateway(status=GatewayStatus.PENDING)}
    )
    assert refund.status == RefundStatus.PROCESSING
    reference = refund.allocations.get().gateway_reference
    succeeded = GatewayRefund(reference=reference, status=GatewayStatus.SUCCEEDED)
    services.record_gateway_event(gateway_reference=reference, outcome=succeeded)
    services.record_gateway_event(gateway_reference=reference, outcome=succeeded)  # replayed
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(order=order).refunded == D("100.00")


def test_store_credit_is_issued_once_with_its_bonus_and_counts_against_the_payment(stripe_store):
    publish_policy(store=stripe_store, document={"store_credit_bonus_percent": "10"}, actor=SYSTEM)
    order = make_order(stripe_store)
    return_request = inspect_return(open_return(order, resolution="store_credit"))
    refund = services.request_refund(return_request=return_request, actor=SYSTEM)
    assert (refund.amount, refund.bonus) == (D("100.00"), D("10.00"))
    assert {a.destination for a in refund.allocations.all()} == {Destination.STORE_CREDIT}
    services.process_refund(refund.pk)
    services.record_outcome(refund_id=refund.pk, outcomes={})  # a repeated outcome
    account = StoreCreditAccount.objects.get(customer=order.customer)
    assert account.balance == ledger_balance(account) == D("110.00")
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
    (balance,) = services.payment_balances(list(order.payments.all()))
    assert balance.available == 0  # credit given cannot also go back to the card
    assert Payment.objects.get(order=order).refunded == 0  # the card itself was not refunded


def test_a_mixed_refund_goes_partly_to_credit_and_partly_to_the_card(stripe_store):
    order = make_order(stripe_store)
    return_request = inspect_return(open_return(order))
    refund = services.request_refund(
        return_request=return_request, actor=SYSTEM, store_credit_amount=D("25.00")
    )
    parts = {a.destination: a.amount for a in refund.allocations.all()}
    assert parts == {Destination.STORE_CREDIT: D("25.00"), Destination.ORIGINAL_PAYMENT: D("75.00")}
    refund = services.process_refund(refund.pk, gateways={"stripe": FakeGateway()})
    assert refund.status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(order=order).refunded == D("75.00")


def test_the_shopper_sees_reference_and_expected_arrival(stripe_store):
    RefundSettings.objects.filter(store=stripe_store).update(card_delay_days=7)
    order = make_order(stripe_store)
    refund = _refund_all(order)
    services.process_refund(refund.pk, gateways={"stripe": FakeGateway()})
    (shown,) = selectors.refunds_for_shopper(refund.return_request)
    assert shown["reference"] == refund.reference
    assert shown["status"] == RefundStatus.SUCCEEDED
    assert (shown["expected_by"] - refund.created_at.date()).days == 7


def test_a_cancelled_refund_frees_its_units(stripe_store):
    order = make_order(stripe_store)
    refund = _refund_all(order)
    services.cancel_refund(refund=refund, actor=SYSTEM, reason="wrong return")
    again = services.request_refund(return_request=refund.return_request, actor=SYSTEM)
    assert (again.sequence, again.amount) == (2, D("100.00"))
    assert RefundAllocation.objects.filter(status=AllocationStatus.PENDING).count() == 1


def test_a_refund_near_its_legal_deadline_is_listed(stripe_store):
    from datetime import timedelta

    order = make_order(stripe_store)
    refund = _refund_all(order)
    assert refund.due_by is not None
    later = refund.due_by - timedelta(days=1)
    assert list(selectors.refunds_near_deadline(now=later)) == [refund]
    services.process_refund(refund.pk, gateways={"stripe": FakeGateway()})
    assert list(selectors.refunds_near_deadline(now=later)) == []
