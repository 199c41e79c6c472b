"""The whole path (returns → inspection → refund → gateway) on random orders: per payment and
per line, what is refunded never exceeds what was paid; returning everything returns it all."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from retour.commerce.models import Payment, Store
from retour.core.actors import Actor
from retour.refunds import selectors, services
from retour.refunds.calculation import line_totals
from retour.refunds.choices import Gateway, RefundStatus, ShippingRule
from retour.refunds.models import Refund, RefundSettings
from retour.returns import services as returns
from tests.factories import UserFactory
from tests.refunds.helpers import SYSTEM, FakeGateway, inspect_return, make_order, open_return

D = Decimal


@st.composite
def scenarios(draw):
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        quantity, cents = draw(st.integers(1, 3)), draw(st.integers(1, 9000))
        discount = draw(st.integers(0, min(100, cents * quantity)))
        tax = draw(st.integers(0, 200))
        lines.append((quantity, f"{cents / 100:.2f}", f"{discount / 100:.2f}", f"{tax / 100:.2f}"))
    return {
        "lines": lines,
        "taxes_included": draw(st.booleans()),
        "shipping": f"{draw(st.integers(0, 990)) / 100:.2f}",
        "gift_share": draw(st.integers(0, 100)),
        "gift_first": draw(st.booleans()),
        "accept": draw(st.lists(st.integers(0, 3), min_size=3, max_size=3)),
    }


class RefundPathProperties(TestCase):
    """hypothesis' Django TestCase rolls the database back after each example."""

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenario=scenarios())
    def test_refunds_through_the_services_stay_within_what_was_paid(self, scenario):
        check_scenario(scenario)


def check_scenario(scenario):
    store = Store.objects.create(
        name="P", slug=f"p-{Store.objects.count()}", currency="EUR", country="FR"
    )
    RefundSettings.objects.create(
        store=store,
        gateway=Gateway.STRIPE,
        stripe_secret_key="sk",
        shipping_rule=ShippingRule.WHOLE_ORDER,
        gift_card_first=scenario["gift_first"],
    )
    order = make_order(
        store,
        lines=scenario["lines"],
        shipping=scenario["shipping"],
        taxes_included=scenario["taxes_included"],
    )
    total = order.total
    gift = (total * scenario["gift_share"] / 100).quantize(D("0.01"))
    Payment.objects.filter(order=order).update(captured=total - gift)
    if gift:
        Payment.objects.create(
            order=order,
            gateway="gift_card",
            method="gift_card",
            reference="gc",
            captured=gift,
            created_at=order.placed_at,
        )
    gateway = FakeGateway()
    lines = list(order.lines.order_by("id"))
    # First return: some units accepted; second return: every unit not accepted the first time.
    # Units not accepted were never sent: received = accepted.
    accepted = {
        line.pk: min(n, line.quantity) for line, n in zip(lines, scenario["accept"], strict=False)
    }
    first = inspect_return(open_return(order), accepted=accepted, received=accepted)
    refunded_units = {}
    try:
        refund = services.request_refund(return_request=first, actor=SYSTEM)
        services.process_refund(refund.pk, gateways={"stripe": gateway})
    except services.NothingToRefund:
        pass
    first.refresh_from_db()
    if first.status != "resolved":
        returns.resolve_return(return_request=first, actor=SYSTEM, outcome="refund")
    for line in lines:
        refunded_units[line.pk] = first.lines.get(order_line=line).accepted_qty
    left = {line.pk: line.quantity - refunded_units[line.pk] for line in lines}
    left = {pk: n for pk, n in left.items() if n}
    if left:
        second = inspect_return(open_return(order, left))
        refund = services.request_refund(return_request=second, actor=SYSTEM)
        services.process_refund(refund.pk, gateways={"stripe": gateway})
    # Gift cards go through the manual gateway: finance records them.
    finance = Actor.staff(UserFactory())
    for refund in Refund.objects.filter(order=order, status=RefundStatus.PROCESSING):
        for allocation in refund.allocations.filter(status="pending"):
            services.record_manual_refund(allocation=allocation, reference="GC-1", actor=finance)
    paid_lines = line_totals(services.order_input(order))
    by_line = selectors.refund_totals_by_line(order.pk)
    for line in lines:
        assert by_line.get(line.pk, D(0)) == paid_lines[line.pk]["paid"]
    for payment in Payment.objects.filter(order=order):
        assert payment.refunded == payment.captured  # all back, never more
    assert sum(r.amount for r in Refund.objects.filter(order=order)) == total
    assert Refund.objects.filter(order=order, includes_shipping=True).count() <= 1
