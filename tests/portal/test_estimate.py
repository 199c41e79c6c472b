"""The portal's estimate and the refund take the fees and the store-credit bonus from one source:
the policy decision the return is decided under (not `RefundSettings`)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from retour.policy.services import publish_policy
from retour.refunds import services as refunds
from retour.refunds.calculation import Breakdown
from retour.refunds.models import RefundSettings
from retour.returns import services as returns
from retour.returns.models import Return
from tests.factories import SYSTEM
from tests.portal.flow import look_up, walk_to_review
from tests.portal.helpers import shopper_order
from tests.refunds.helpers import inspect_return

D = Decimal
pytestmark = pytest.mark.django_db

POLICY = {
    "window_days": 60,
    "restocking_fee": {"percent": "10"},
    "shipping_fees": {"drop_off": {"flat": "4.50"}},
    "store_credit_bonus_percent": "10",
}


@pytest.fixture
def order(store_a):
    publish_policy(store=store_a, document=POLICY, actor=SYSTEM)
    # Settings the policy now overrules: they must not leak into the estimate or the refund.
    RefundSettings.objects.create(store=store_a, return_shipping_fee=D("9.99"))
    return _past_withdrawal(store_a)


def _past_withdrawal(store, **kwargs):
    """Delivered 20 days ago: past the 14 days of withdrawal (no fee allowed there), inside the
    shop's 60-day window."""
    delivered = timezone.now() - timedelta(days=20)
    return shopper_order(store, placed_at=delivered, fulfillment__delivered_at=delivered, **kwargs)


def _refund_without_deductions(created: Return):
    approved = returns.approve_return(return_request=created, actor=SYSTEM)
    return refunds.request_refund(return_request=inspect_return(approved), actor=SYSTEM)


@pytest.mark.parametrize(
    ("resolution", "shown_total", "amount", "bonus"),
    [
        ("refund", "€18.00", D("18.00"), D("0")),  # 25.00 − 10 % restocking − 4.50 shipping
        ("store_credit", "€19.80", D("18.00"), D("1.80")),  # + the policy's 10 % bonus
    ],
)
def test_the_estimate_is_what_the_refund_pays_without_deductions(
    order, resolution, shown_total, amount, bonus
):
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    walk_to_review(client, "store-a", order, resolution=resolution)

    review = client.get("/returns/store-a/review").content.decode()
    client.post("/returns/store-a/review")
    refund = _refund_without_deductions(Return.objects.get())

    assert "€2.50" in review
    assert "€4.50" in review
    assert "€9.99" not in review
    assert shown_total in review
    assert (refund.amount, refund.bonus) == (amount, bonus)
    fees = {fee["code"]: D(fee["amount"]) for fee in refund.breakdown["fees"]}
    assert fees == {"restocking": D("2.50"), "return_shipping": D("4.50")}
    assert Breakdown.from_json(refund.estimate) == Breakdown.from_json(refund.breakdown)


def test_fewer_accepted_units_keep_the_restocking_fee_in_proportion(store_a):
    publish_policy(store=store_a, document=POLICY, actor=SYSTEM)
    order = _past_withdrawal(store_a)
    line = order.lines.get()
    type(line).objects.filter(pk=line.pk).update(quantity=2)
    order.fulfillments.first().lines.update(quantity=2)
    created = returns.create_return(
        order=order,
        lines=[returns.LineRequest(order_line_id=line.pk, quantity=2, reason_code="too_small")],
        method="drop_off",
        resolution="refund",
        actor=SYSTEM,
    )
    approved = returns.approve_return(return_request=created, actor=SYSTEM)

    refund = refunds.request_refund(
        return_request=inspect_return(approved, accepted={line.pk: 1}), actor=SYSTEM
    )

    fees = {fee["code"]: D(fee["amount"]) for fee in refund.breakdown["fees"]}
    assert fees == {"restocking": D("2.50"), "return_shipping": D("4.50")}  # 5.00 for two units
