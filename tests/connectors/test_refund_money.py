"""Who moves the money of a refund written back to Shopify (ADR 0008).

A refund Retour's gateway (Stripe) or finance already paid is told to Shopify without any
transaction: Shopify records the lines and restock and pays nothing. A store that refunds
through its platform has Shopify pay it: the write-back carries the transactions, and Shopify's
answer settles the refund in Retour — once, however often the write-back is retried."""

import json
from decimal import Decimal

import pytest

from retour.commerce.models import Payment
from retour.connectors import services
from retour.connectors.choices import WriteBackStatus
from retour.connectors.models import WriteBack
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from retour.events.models import OutboxEvent
from retour.refunds import services as refunds
from retour.refunds.choices import AllocationStatus, Gateway, RefundStatus
from retour.refunds.models import Refund, RefundSettings
from tests.connectors import shopify_samples as samples
from tests.connectors.test_end_to_end import returned_and_restocked
from tests.logistics.fake_carrier import Answer
from tests.refunds.stripe_server import SECRET, FakeStripe

pytestmark = pytest.mark.django_db
SHOPIFY_REFUND = "gid://shopify/Refund/929361464"


def _refund(store, owner, shopify):
    return_request = returned_and_restocked(store, owner, shopify)
    refund = refunds.request_refund(return_request=return_request, actor=Actor.staff(owner))
    run_ready_jobs()  # process_refund, then the write-backs it leads to
    return Refund.objects.get(pk=refund.pk)


def test_a_refund_stripe_paid_is_written_back_without_moving_money(
    store_a, owner_a, shopify, shopify_connection
):
    with FakeStripe() as stripe:
        RefundSettings.objects.create(
            store=store_a,
            gateway=Gateway.STRIPE,
            stripe_secret_key=SECRET,
            stripe_api_base=stripe.url,
        )
        # The shop takes its card payments through Stripe (Shopify's third-party gateway).
        returned_and_restocked(store_a, owner_a, shopify)
        Payment.objects.filter(reference=samples.CARD_CAPTURE).update(
            gateway="stripe", reference="pi_3MtwBwLkdIwHu7ix28a3tqPa"
        )
        return_request = store_a.returns.get()
        refund = refunds.request_refund(return_request=return_request, actor=Actor.staff(owner_a))
        run_ready_jobs()
        card = refund.allocations.get(payment__gateway="stripe")
        assert [r["form"]["amount"] for r in stripe.requests if r["path"] == "/v1/refunds"] == [
            str(int(card.amount * 100))
        ]
        for part in refund.allocations.filter(status=AllocationStatus.PENDING):
            refunds.record_manual_refund(
                allocation=part, reference="gift-card-reissued", actor=Actor.staff(owner_a)
            )
        run_ready_jobs()

    (sent,) = shopify.mutations("refundCreate")
    refund_input = sent["variables"]["input"]
    assert "transactions" not in refund_input
    assert refund_input["refundLineItems"][0]["lineItemId"] == samples.LINE_SHIRT
    assert WriteBack.objects.get(kind="refund").status == WriteBackStatus.SENT


@pytest.fixture
def platform_refunds(store_a):
    return RefundSettings.objects.create(store=store_a, gateway=Gateway.PLATFORM)


def test_a_platform_refund_waits_for_the_platform_and_is_paid_by_it(
    store_a, owner_a, shopify, shopify_connection, platform_refunds
):
    refund = _refund(store_a, owner_a, shopify)

    (sent,) = shopify.mutations("refundCreate")
    transactions = sent["variables"]["input"]["transactions"]
    parts = {a.payment.reference: a for a in refund.allocations.select_related("payment")}
    assert {t["parentId"]: Decimal(t["amount"]) for t in transactions} == {
        reference: part.amount for reference, part in parts.items()
    }
    assert sum(Decimal(t["amount"]) for t in transactions) == refund.amount == Decimal("22.50")
    assert {t["gateway"] for t in transactions} <= {"gift_card", "shopify_payments"}
    write_back = WriteBack.objects.get(kind="refund")
    assert write_back.idempotency_key == f"{refund.idempotency_key}-platform-a1"
    assert f"@idempotent(key: {json.dumps(write_back.idempotency_key)})" in sent["query"]
    assert refund.status == RefundStatus.SUCCEEDED
    assert {(a.gateway, a.gateway_reference) for a in parts.values()} == {
        (Gateway.PLATFORM, SHOPIFY_REFUND)
    }
    refunded = dict(Payment.objects.filter(order=refund.order).values_list("reference", "refunded"))
    assert {ref: refunded[ref] for ref in parts} == {ref: p.amount for ref, p in parts.items()}


def test_a_platform_refund_is_paid_once_when_its_write_back_is_retried(
    store_a, owner_a, shopify, shopify_connection, platform_refunds
):
    # Shopify made the refund but its answer was lost (503): the job sends the same request
    # with the same key again, which Shopify answers with the refund it made.
    answers = iter([Answer(503, {"errors": "Service Unavailable"})])
    default = shopify.answer

    def flaky(recorded):
        if "refundCreate" in recorded.json()["query"]:
            return next(answers, None) or default(recorded)
        return default(recorded)

    shopify.fake.on("POST", "/admin/api/2026-04/graphql.json", flaky)
    return_request = returned_and_restocked(store_a, owner_a, shopify)
    refund = refunds.request_refund(return_request=return_request, actor=Actor.staff(owner_a))
    run_ready_jobs()
    write_back = WriteBack.objects.get(kind="refund")
    assert write_back.status == WriteBackStatus.PENDING
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.PROCESSING

    services.push_write_back(write_back.pk)  # the retry
    services.push_write_back(write_back.pk)  # and a stray duplicate of it
    refunds.process_refund(refund.pk)  # the refund's own sweep: nothing new to ask
    event = OutboxEvent.objects.filter(type="refund.awaiting_platform").first()
    services.plan_write_backs(  # the same event delivered again
        event_id=event.id, event_type=event.type, store_id=store_a.pk, payload=event.payload
    )
    run_ready_jobs()

    first, second = shopify.mutations("refundCreate")
    assert first == second  # same lines, amounts and idempotency key
    assert WriteBack.objects.filter(kind="refund").count() == 1
    refund = Refund.objects.get(pk=refund.pk)
    assert refund.status == RefundStatus.SUCCEEDED
    assert sum(
        Payment.objects.filter(order=refund.order).values_list("refunded", flat=True), Decimal(0)
    ) == Decimal("22.50")


def test_a_refund_the_platform_refuses_fails_and_finance_can_try_it_again(
    store_a, owner_a, shopify, shopify_connection, platform_refunds
):
    shopify.mutation_answers["refundCreate"] = Answer(
        200,
        {
            "data": {
                "refundCreate": {
                    "refund": None,
                    "userErrors": [{"field": ["input"], "message": "Refund exceeds balance"}],
                }
            }
        },
    )
    refund = _refund(store_a, owner_a, shopify)
    assert refund.status == RefundStatus.FAILED
    assert "Refund exceeds balance" in refund.last_error
    assert not Payment.objects.filter(order=refund.order, refunded__gt=0).exists()

    del shopify.mutation_answers["refundCreate"]
    refunds.retry_refund(refund=refund, actor=Actor.staff(owner_a))
    run_ready_jobs()

    keys = list(WriteBack.objects.filter(kind="refund").values_list("idempotency_key", flat=True))
    assert sorted(keys) == [
        f"{refund.idempotency_key}-platform-a1",
        f"{refund.idempotency_key}-platform-a2",
    ]
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED


def test_a_platform_refund_finance_settled_meanwhile_is_not_sent_to_the_platform(
    store_a, owner_a, shopify, shopify_connection, platform_refunds
):
    shopify.mutation_answers["refundCreate"] = Answer(503, {"errors": "Service Unavailable"})
    refund = _refund(store_a, owner_a, shopify)  # Shopify down: the write-back waits to retry
    write_back = WriteBack.objects.get(kind="refund")
    for part in refund.allocations.all():  # meanwhile finance pays the shopper by hand
        refunds.record_manual_refund(
            allocation=part, reference="transfer-42", actor=Actor.staff(owner_a)
        )
    del shopify.mutation_answers["refundCreate"]

    services.push_write_back(write_back.pk)  # the retry

    assert len(shopify.mutations("refundCreate")) == 1  # only the first, unanswered try
    write_back = WriteBack.objects.get(pk=write_back.pk)
    assert write_back.status == WriteBackStatus.FAILED
    assert "pay twice" in write_back.last_error
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
