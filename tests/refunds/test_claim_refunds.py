"""An approved claim pays its refund through the same pipeline as a return's: requested with the
approval (reserved on the payments' headroom), sent by the jobs through the gateway with a key
derived from the claim, once; and the refunds of one order line — returns' and claims' — never
add up to more than was paid for it."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from retour.commerce.models import Payment, Store
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest
from retour.core.jobs import run_ready_jobs
from retour.events.models import OutboxEvent
from retour.refunds import claims, services
from retour.refunds.calculation import line_totals
from retour.refunds.choices import Gateway, RefundStatus
from retour.refunds.models import Refund, RefundLine, RefundSettings
from retour.returns import services as returns
from retour.returns.choices import ClaimStatus
from retour.returns.models import Claim
from retour.returns.services import LineRequest
from tests.factories import UserFactory
from tests.refunds.helpers import (
    SYSTEM,
    FakeGateway,
    inspect_return,
    kill_the_worker_after_the_gateway_refunded,
    make_order,
    open_return,
)
from tests.refunds.stripe_server import SECRET, FakeStripe

D = Decimal


@pytest.fixture
def stripe():
    with FakeStripe() as server:
        yield server


def _stripe_store(store, stripe, **fields):
    return RefundSettings.objects.create(
        store=store,
        gateway=Gateway.STRIPE,
        stripe_secret_key=SECRET,
        stripe_api_base=stripe.url,
        **fields,
    )


def _claim(order, units: dict[int, int] | None = None) -> Claim:
    """A claim on `units` (order line id → units; default one unit of the first line)."""
    units = units or {order.lines.order_by("id").first().pk: 1}
    return returns.create_claim(
        order=order,
        kind="damaged",
        lines=[LineRequest(line_id, count) for line_id, count in units.items()],
        actor=SYSTEM,
    )


def _approve(client, claim):
    return client.post(
        f"/api/v1/stores/{claim.store.slug}/claims/{claim.number}/decide",
        data=json.dumps({"approve": True, "resolution": "refund"}),
        content_type="application/json",
    )


@pytest.mark.django_db
def test_an_approved_claim_refunds_what_was_paid_for_its_units_through_stripe(
    store_a, stripe, api_a
):
    _stripe_store(store_a, stripe)
    # 2 × 30 + 1 × 40 − 10 order discount: the first line carries 6 of it, 27.00 a unit.
    order = make_order(store_a, order_discount="10.00")
    claim = _claim(order)

    answer = _approve(api_a, claim)
    run_ready_jobs()

    assert answer.status_code == 200
    assert answer.json()["refund"]["amount"] == "27.0000"
    assert answer.json()["refund"]["status"] == RefundStatus.REQUESTED
    refund = Refund.objects.get()
    assert (refund.claim_id, refund.return_request_id) == (claim.pk, None)
    assert refund.status == RefundStatus.SUCCEEDED
    assert [request["form"]["amount"] for request in stripe.requests] == ["2700"]
    assert stripe.requests[0]["key"] == f"retour-{claim.number}-1-1-or-a1"
    assert Payment.objects.get(order=order).refunded == D("27.00")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.RESOLVED
    [sent] = OutboxEvent.objects.filter(type="refund.succeeded")
    assert sent.payload["claim"]["number"] == claim.number
    assert sent.payload["refund"]["reference"] == refund.reference
    assert sent.payload["refund"]["expected_by"]


@pytest.mark.django_db
def test_a_second_approval_answers_409_and_makes_no_second_refund(store_a, stripe, api_a):
    _stripe_store(store_a, stripe)
    claim = _claim(make_order(store_a))

    first, second = _approve(api_a, claim), _approve(api_a, claim)
    run_ready_jobs()
    services.retry_due_refunds(now=timezone.now() + timedelta(hours=1))

    assert (first.status_code, second.status_code) == (200, 409)
    assert Refund.objects.count() == 1
    assert len(stripe.refunds) == 1


@pytest.mark.django_db
def test_the_refund_job_repeated_gives_back_the_claims_one_refund(store_a):
    claim = _claim(make_order(store_a))
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    again = services.request_claim_refund(claim=claim, actor=SYSTEM)

    assert Refund.objects.get() == again


@pytest.mark.django_db
def test_a_worker_killed_after_the_gateway_refunded_a_claim_does_not_pay_twice(
    store_a, stripe, monkeypatch
):
    _stripe_store(store_a, stripe)
    order = make_order(store_a)
    claim = _claim(order)
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")
    refund = Refund.objects.get()
    kill_the_worker_after_the_gateway_refunded(refund, monkeypatch)

    assert len(stripe.requests) == 2
    assert len({request["key"] for request in stripe.requests}) == 1
    assert len(stripe.refunds) == 1
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(order=order).refunded == D("30.00")


@pytest.mark.django_db
def test_an_approval_the_payments_cannot_give_back_is_refused_and_the_claim_stays_open(
    store_a,
):
    order = make_order(store_a)
    Payment.objects.filter(order=order).update(refunded=D("90.00"))  # refunded in the shop
    claim = _claim(order, {order.lines.order_by("id").last().pk: 1})  # 40.00

    with pytest.raises(Conflict):
        claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.OPEN
    assert not Refund.objects.exists()
    assert not OutboxEvent.objects.filter(type="claim.approved").exists()


@pytest.mark.django_db
def test_a_claim_refund_above_the_threshold_waits_for_a_second_approval(store_a, stripe):
    _stripe_store(store_a, stripe, four_eyes_threshold=D("20"))
    claim = _claim(make_order(store_a))
    asker, approver = UserFactory(), UserFactory()
    claims.decide_claim(claim=claim, actor=Actor.staff(asker), approve=True, resolution="refund")
    run_ready_jobs()
    assert Refund.objects.get().status == RefundStatus.AWAITING_APPROVAL
    assert stripe.requests == []

    services.approve_refund(refund=Refund.objects.get(), actor=Actor.staff(approver))
    run_ready_jobs()

    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert len(stripe.refunds) == 1


@pytest.mark.django_db
def test_a_claim_after_a_return_refund_of_the_same_line_gets_what_is_left_of_it(store_a):
    # 3 × 10.00 − 0.10: 29.90 paid, which 3 units do not share evenly.
    order = make_order(store_a, lines=((3, "10.00", "0.10", "0"),))
    line = order.lines.get()
    return_request = inspect_return(open_return(order, {line.pk: 1}))
    first = services.request_refund(return_request=return_request, actor=SYSTEM)
    claim = _claim(order, {line.pk: 2})

    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    second = Refund.objects.get(claim=claim)
    assert first.amount + second.amount == D("29.90")


@pytest.mark.django_db
def test_units_refunded_by_a_claim_are_not_returnable_nor_refunded_again(store_a):
    order = make_order(store_a, lines=((2, "10.00", "0", "0"),))
    line = order.lines.get()
    claim = _claim(order, {line.pk: 2})
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    with pytest.raises(InvalidRequest):
        open_return(order, {line.pk: 1})
    assert services._refunded_units_by_order_line(order.pk) == {line.pk: 2}


@pytest.mark.django_db
def test_a_claims_refund_is_shown_on_its_staff_page(store_a, owner_a, session_client):
    claim = _claim(make_order(store_a))
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")
    refund = Refund.objects.get()

    page = session_client(owner_a).get(f"/dashboard/claims/{claim.number}/").content.decode()

    assert refund.reference in page
    assert "30.00 EUR" in page
    assert 'id="claim-refund"' in page


@st.composite
def shares(draw):
    quantity, cents = draw(st.integers(2, 5)), draw(st.integers(100, 9000))
    return {
        "quantity": quantity,
        "cents": cents,
        "discount": draw(st.integers(0, 99)),
        "order_discount": draw(st.integers(0, 99)),
        "returned": draw(st.integers(1, quantity - 1)),
        "claim_first": draw(st.booleans()),
    }


class ReturnAndClaimShareALine(TestCase):
    """hypothesis' Django TestCase rolls the database back after each example."""

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenario=shares())
    def test_a_lines_refunds_add_up_to_what_was_paid_for_it_whatever_comes_first(self, scenario):
        store = Store.objects.create(
            name="P", slug=f"p-{Store.objects.count()}", currency="EUR", country="FR"
        )
        quantity, returned = scenario["quantity"], scenario["returned"]
        price, discount = f"{scenario['cents'] / 100:.2f}", f"{scenario['discount'] / 100:.2f}"
        order = make_order(
            store,
            lines=((quantity, price, discount, "0"),),
            order_discount=f"{scenario['order_discount'] / 100:.2f}",
        )
        line = order.lines.get()

        def by_return():
            return_request = inspect_return(open_return(order, {line.pk: returned}))
            services.request_refund(return_request=return_request, actor=SYSTEM)

        def by_claim():
            claims.decide_claim(
                claim=_claim(order, {line.pk: quantity - returned}),
                actor=SYSTEM,
                approve=True,
                resolution="refund",
            )

        for step in (by_claim, by_return) if scenario["claim_first"] else (by_return, by_claim):
            step()
        for refund in Refund.objects.filter(order=order):
            services.process_refund(refund.pk, gateways={"manual": FakeGateway()})

        paid = line_totals(services.order_input(order))[line.pk]["paid"]
        lines = RefundLine.objects.filter(order_line=line)
        assert sum(refund_line.amount for refund_line in lines) == paid
        assert sum(refund_line.quantity for refund_line in lines) == quantity
        payment = Payment.objects.get(order=order)
        refunds = Refund.objects.filter(order=order)
        assert {refund.status for refund in refunds} == {RefundStatus.SUCCEEDED}
        assert payment.refunded == sum(refund.amount for refund in refunds) <= payment.captured


@pytest.mark.django_db
def test_the_api_lists_a_claims_refund_with_its_claim(store_a, api_a):
    claim = _claim(make_order(store_a))
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    [listed] = api_a.get(f"/api/v1/stores/{store_a.slug}/refunds").json()

    assert (listed["rma"], listed["claim_number"]) == (None, claim.number)
    assert listed["amount"] == "30.0000"
    assert [line["return_line_id"] for line in listed["lines"]] == [None]
