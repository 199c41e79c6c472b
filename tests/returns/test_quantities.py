"""What can still be returned: delivered units minus what live returns and claims hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.commerce.models import Fulfillment, FulfillmentLine
from retour.core.errors import InvalidRequest
from retour.returns import services
from retour.returns.models import Return
from retour.returns.selectors import order_lines_with_quantities
from retour.returns.services import LineInspection, LineReceipt, LineRequest, QuantityExceeded
from tests.factories import FulfillmentFactory, FulfillmentLineFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _return(order, actor, *requests, method="drop_off"):
    return services.create_return(
        order=order,
        lines=[LineRequest(*request) for request in requests],
        method=method,
        resolution="refund",
        actor=actor,
    )


def _returnable(order) -> list[int]:
    return [line.returnable_qty for line in order_lines_with_quantities(order.pk)]


@pytest.fixture
def line(order_a):
    """Store A's first order line: 2 units, both delivered."""
    return order_a.lines.first()


def test_all_delivered_units_are_returnable(order_a):
    assert _returnable(order_a) == [2, 1]


def test_it_refuses_more_than_delivered(order_a, line, actor):
    with pytest.raises(QuantityExceeded) as caught:
        _return(order_a, actor, (line.pk, 3))

    assert caught.value.details["returnable"] == 2
    assert not Return.objects.exists()


def test_it_accepts_exactly_what_was_delivered(order_a, line, actor):
    _return(order_a, actor, (line.pk, 2))

    assert _returnable(order_a) == [0, 1]


def test_it_refuses_units_shipped_but_not_delivered(store_a, actor):
    order = OrderFactory(store=store_a, lines=[1], fulfillment="shipped")

    with pytest.raises(QuantityExceeded):
        _return(order, actor, (order.lines.get().pk, 1))


def test_only_the_delivered_part_of_a_line_counts(store_a, actor):
    order = OrderFactory(store=store_a, lines=[3], fulfillment=False)
    line = order.lines.get()
    FulfillmentLineFactory(fulfillment=FulfillmentFactory(order=order), order_line=line, quantity=1)
    FulfillmentLineFactory(
        fulfillment=FulfillmentFactory(order=order, delivered_at=None), order_line=line, quantity=2
    )

    with pytest.raises(QuantityExceeded):
        _return(order, actor, (line.pk, 2))
    assert _returnable(order) == [1]


def test_an_earlier_live_return_takes_its_units(order_a, line, actor):
    _return(order_a, actor, (line.pk, 1))

    with pytest.raises(QuantityExceeded):
        _return(order_a, actor, (line.pk, 2))


def test_a_second_return_can_take_what_the_first_left(order_a, line, actor):
    _return(order_a, actor, (line.pk, 1))

    _return(order_a, actor, (line.pk, 1))

    assert _returnable(order_a) == [0, 1]


def test_a_claim_takes_its_units(order_a, line, actor):
    services.create_claim(
        order=order_a, kind="missing", lines=[LineRequest(line.pk, 2)], actor=actor
    )

    with pytest.raises(QuantityExceeded):
        _return(order_a, actor, (line.pk, 1))


def test_a_rejected_claim_frees_its_units(order_a, line, actor):
    claim = services.create_claim(
        order=order_a, kind="damaged", lines=[LineRequest(line.pk, 2)], actor=actor
    )

    services.decide_claim(claim=claim, actor=actor, approve=False)

    assert _returnable(order_a) == [2, 1]


@pytest.mark.parametrize(
    "void",
    [
        lambda r, a: services.reject_return(return_request=r, actor=a, reason="no"),
        lambda r, a: services.cancel_return(return_request=r, actor=a),
        lambda r, a: services.expire_return(
            return_request=services.approve_return(return_request=r, actor=a), actor=a
        ),
    ],
    ids=["rejected", "cancelled", "expired"],
)
def test_a_void_return_frees_its_units(order_a, line, actor, void):
    void(_return(order_a, actor, (line.pk, 2)), actor)

    _return(order_a, actor, (line.pk, 2))

    assert _returnable(order_a) == [0, 1]


def _settle(return_request, actor, received: int, close: bool = False):
    line = return_request.lines.get()
    services.approve_return(return_request=return_request, actor=actor)
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(line.pk, received)], actor=actor
    )
    services.inspect_lines(
        return_request=return_request, inspections=[LineInspection(line.pk, received)], actor=actor
    )
    services.resolve_return(return_request=return_request, actor=actor, outcome="refund")
    if close:
        services.close_return(return_request=return_request, actor=actor)


@pytest.mark.parametrize("close", [False, True], ids=["resolved", "closed"])
def test_a_settled_return_holds_only_its_received_quantity(order_a, line, actor, close):
    _settle(_return(order_a, actor, (line.pk, 2)), actor, received=1, close=close)

    assert _returnable(order_a) == [1, 1]


def test_a_return_in_progress_holds_its_announced_quantity(order_a, line, actor):
    return_request = _return(order_a, actor, (line.pk, 2))
    services.approve_return(return_request=return_request, actor=actor)
    services.receive_lines(
        return_request=return_request,
        receipts=[LineReceipt(return_request.lines.get().pk, 1)],
        actor=actor,
    )

    assert _returnable(order_a) == [0, 1]


def test_a_returnless_refund_keeps_holding_its_units(order_a, line, actor):
    """Approved then resolved without a parcel (the shopper keeps the item): those units were
    refunded and must not become returnable again."""
    return_request = _return(order_a, actor, (line.pk, 2), method="keep")
    services.approve_return(return_request=return_request, actor=actor)
    services.resolve_return(return_request=return_request, actor=actor, outcome="refund")

    with pytest.raises(QuantityExceeded):
        _return(order_a, actor, (line.pk, 1))


def test_it_refuses_a_duplicate_line(order_a, line, actor):
    with pytest.raises(InvalidRequest):
        _return(order_a, actor, (line.pk, 1), (line.pk, 1))

    assert not Return.objects.exists()


def test_it_refuses_a_line_of_another_order(order_a, store_a, actor):
    other = OrderFactory(store=store_a, lines=[1]).lines.get()

    with pytest.raises(InvalidRequest) as caught:
        _return(order_a, actor, (other.pk, 1))

    assert not isinstance(caught.value, QuantityExceeded)
    assert not Return.objects.exists()


def test_it_refuses_an_unknown_reason(order_a, line, actor):
    with pytest.raises(InvalidRequest):
        _return(order_a, actor, (line.pk, 1, "because_i_said_so"))

    assert not Return.objects.exists()


def test_it_refuses_a_reason_of_another_store(order_a, line, store_b, actor):
    store_b.return_reasons.create(code="b_only", labels={"en": "B only"})

    with pytest.raises(InvalidRequest):
        _return(order_a, actor, (line.pk, 1, "b_only"))


def test_it_refuses_a_zero_quantity(order_a, line, actor):
    with pytest.raises(InvalidRequest):
        _return(order_a, actor, (line.pk, 0))


def test_it_refuses_an_empty_return(order_a, actor):
    with pytest.raises(InvalidRequest):
        _return(order_a, actor)


def _fulfillment_rows(order):
    return (
        list(Fulfillment.objects.filter(order=order).values()),
        list(FulfillmentLine.objects.filter(fulfillment__order=order).values()),
    )


def test_creating_a_return_never_modifies_fulfillments(order_a, line, actor):
    before = _fulfillment_rows(order_a)

    with CaptureQueriesContext(connection) as queries:
        _return(order_a, actor, (line.pk, 2))

    assert _fulfillment_rows(order_a) == before
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "fulfillment" in q["sql"].lower() and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert writes == []


def _queries_to_return_every_line(order, actor) -> int:
    requests = [(line.pk, line.quantity, "size") for line in order.lines.all()]
    with CaptureQueriesContext(connection) as queries:
        _return(order, actor, *requests)
    return len(queries.captured_queries)


def test_create_return_makes_as_many_queries_for_50_lines_as_for_1(store_a, actor):
    small = _queries_to_return_every_line(OrderFactory(store=store_a, lines=[1]), actor)
    large = _queries_to_return_every_line(OrderFactory(store=store_a, lines=[1] * 50), actor)

    assert small == large
    # Transaction begin/end; order with policy and history; lines with quantities; reasons;
    # savepoint, return, release; lines; event; outbox event; its dispatch job.
    assert large <= 12
