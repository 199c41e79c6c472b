"""The return services, one step of the life of a return at a time."""

import pytest

from retour.core.errors import InvalidRequest
from retour.returns import services
from retour.returns.choices import LineStatus, ReturnStatus
from retour.returns.lifecycle import IllegalTransition
from retour.returns.models import Return, ReturnEvent
from retour.returns.services import LineInspection, LineReceipt, LineRequest
from tests.factories import ReturnFactory

pytestmark = pytest.mark.django_db


def _open_return(order, actor):
    """A return of every unit of `order`, by the service."""
    return services.create_return(
        order=order,
        lines=[LineRequest(line.pk, line.quantity, "size") for line in order.lines.all()],
        method="drop_off",
        resolution="refund",
        actor=actor,
    )


def _in(status, order=None):
    return ReturnFactory(status=status, **({"order": order} if order else {}))


def _status(return_request) -> str:
    return Return.objects.get(pk=return_request.pk).status


def _events(return_request) -> list[tuple[str, str, str]]:
    return list(
        ReturnEvent.objects.filter(return_request=return_request)
        .order_by("id")
        .values_list("kind", "from_status", "to_status")
    )


def test_create_return_opens_a_requested_return_with_its_lines(order_a, actor):
    return_request = _open_return(order_a, actor)

    assert _status(return_request) == ReturnStatus.REQUESTED
    assert [(line.quantity, line.reason.code) for line in return_request.lines.all()] == [
        (2, "size"),
        (1, "size"),
    ]
    assert return_request.rma.startswith("R-")
    assert return_request.store_id == order_a.store_id


def test_create_return_writes_a_created_event(order_a, actor):
    return_request = _open_return(order_a, actor)

    assert _events(return_request) == [("created", "requested", "requested")]


def test_create_return_refuses_an_unknown_method(order_a, actor):
    line = order_a.lines.first()
    with pytest.raises(InvalidRequest):
        services.create_return(
            order=order_a,
            lines=[LineRequest(line.pk, 1)],
            method="teleport",
            resolution="refund",
            actor=actor,
        )
    assert not Return.objects.exists()


def test_create_return_refuses_an_unknown_resolution(order_a, actor):
    line = order_a.lines.first()
    with pytest.raises(InvalidRequest):
        services.create_return(
            order=order_a,
            lines=[LineRequest(line.pk, 1)],
            method="drop_off",
            resolution="cash_in_envelope",
            actor=actor,
        )
    assert not Return.objects.exists()


def test_send_to_review_moves_a_requested_return_to_pending_review(actor):
    return_request = services.send_to_review(return_request=_in("requested"), actor=actor)

    assert _status(return_request) == ReturnStatus.PENDING_REVIEW


def test_approve_moves_a_requested_return_to_approved(order_a, actor):
    return_request = _open_return(order_a, actor)

    services.approve_return(return_request=return_request, actor=actor, note="ok")

    assert _status(return_request) == ReturnStatus.APPROVED
    assert _events(return_request)[-1] == ("status_changed", "requested", "approved")


def test_approve_refuses_a_closed_return(actor):
    return_request = _in("closed")

    with pytest.raises(IllegalTransition):
        services.approve_return(return_request=return_request, actor=actor)

    assert _status(return_request) == ReturnStatus.CLOSED


def test_reject_requires_a_reason(actor):
    return_request = _in("requested")

    with pytest.raises(InvalidRequest):
        services.reject_return(return_request=return_request, actor=actor, reason="   ")

    assert _status(return_request) == ReturnStatus.REQUESTED
    assert _events(return_request) == []


def test_reject_records_the_reason_told_to_the_shopper(actor):
    return_request = _in("pending_review")

    services.reject_return(return_request=return_request, actor=actor, reason="Worn item")

    stored = Return.objects.get(pk=return_request.pk)
    assert (stored.status, stored.status_reason) == ("rejected", "Worn item")


@pytest.mark.parametrize("status", ["requested", "pending_review", "approved", "label_issued"])
def test_cancel_works_before_the_parcel_ships(actor, status):
    return_request = _in(status)

    services.cancel_return(return_request=return_request, actor=actor, reason="changed mind")

    assert _status(return_request) == ReturnStatus.CANCELLED


@pytest.mark.parametrize("status", ["in_transit", "delivered", "received", "resolved"])
def test_cancel_is_refused_once_the_parcel_ships(actor, status):
    return_request = _in(status)

    with pytest.raises(IllegalTransition):
        services.cancel_return(return_request=return_request, actor=actor)

    assert _status(return_request) == status


def test_record_label_requires_a_tracking_number(actor):
    return_request = _in("approved")

    with pytest.raises(InvalidRequest):
        services.record_label(
            return_request=return_request, carrier="ups", tracking_number=" ", actor=actor
        )

    assert _status(return_request) == ReturnStatus.APPROVED


def test_record_label_stores_carrier_and_tracking_number(actor):
    return_request = _in("approved")

    services.record_label(
        return_request=return_request, carrier="ups", tracking_number="1Z999", actor=actor
    )

    stored = Return.objects.get(pk=return_request.pk)
    assert (stored.status, stored.carrier, stored.tracking_number) == (
        "label_issued",
        "ups",
        "1Z999",
    )


def test_record_label_is_refused_before_approval(actor):
    return_request = _in("requested")

    with pytest.raises(IllegalTransition):
        services.record_label(
            return_request=return_request, carrier="ups", tracking_number="1Z999", actor=actor
        )

    assert Return.objects.get(pk=return_request.pk).tracking_number == ""


def test_mark_in_transit_then_delivered(actor):
    return_request = _in("label_issued")

    services.mark_in_transit(return_request=return_request, actor=actor)
    services.mark_delivered(return_request=return_request, actor=actor)

    assert _status(return_request) == ReturnStatus.DELIVERED
    assert [e[1:] for e in _events(return_request)] == [
        ("label_issued", "in_transit"),
        ("in_transit", "delivered"),
    ]


def test_expire_moves_an_approved_return_to_expired(actor):
    return_request = _in("approved")

    services.expire_return(return_request=return_request, actor=actor)

    assert _status(return_request) == ReturnStatus.EXPIRED


def test_expire_is_refused_once_the_parcel_is_in_transit(actor):
    return_request = _in("in_transit")

    with pytest.raises(IllegalTransition):
        services.expire_return(return_request=return_request, actor=actor)

    assert _status(return_request) == ReturnStatus.IN_TRANSIT


def test_receiving_some_lines_moves_the_return_to_received(order_a, actor):
    return_request = _in("delivered", order_a)
    first, _second = return_request.lines.all()

    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(first.pk, 2)], actor=actor
    )

    assert _status(return_request) == ReturnStatus.RECEIVED
    assert _events(return_request) == [("lines_received", "delivered", "received")]
    first.refresh_from_db()
    assert (first.status, first.received_qty) == (LineStatus.RECEIVED, 2)


def test_receiving_the_remaining_lines_keeps_the_return_received(order_a, actor):
    return_request = _in("delivered", order_a)
    first, second = return_request.lines.all()
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(first.pk, 2)], actor=actor
    )

    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(second.pk, 1)], actor=actor
    )

    assert _status(return_request) == ReturnStatus.RECEIVED
    assert _events(return_request)[-1] == ("lines_received", "received", "received")
    second.refresh_from_db()
    assert second.received_qty == 1


def test_receiving_a_line_again_corrects_its_count(order_a, actor):
    return_request = _in("received", order_a)
    first = return_request.lines.first()

    for count in (2, 1):
        services.receive_lines(
            return_request=return_request, receipts=[LineReceipt(first.pk, count)], actor=actor
        )

    first.refresh_from_db()
    assert first.received_qty == 1


def test_it_refuses_to_receive_more_than_announced(order_a, actor):
    return_request = _in("delivered", order_a)
    first = return_request.lines.first()

    with pytest.raises(InvalidRequest):
        services.receive_lines(
            return_request=return_request, receipts=[LineReceipt(first.pk, 3)], actor=actor
        )

    assert _status(return_request) == ReturnStatus.DELIVERED
    first.refresh_from_db()
    assert first.received_qty == 0


def test_it_refuses_to_receive_a_line_of_another_return(order_a, actor):
    return_request = _in("delivered", order_a)
    stranger = ReturnFactory(status="delivered").lines.first()

    with pytest.raises(InvalidRequest):
        services.receive_lines(
            return_request=return_request, receipts=[LineReceipt(stranger.pk, 1)], actor=actor
        )

    assert _status(return_request) == ReturnStatus.DELIVERED


@pytest.mark.parametrize("status", ["requested", "pending_review", "cancelled", "closed"])
def test_it_refuses_to_receive_items_of_a_return_not_sent(order_a, actor, status):
    return_request = _in(status, order_a)
    first = return_request.lines.first()

    with pytest.raises(IllegalTransition):
        services.receive_lines(
            return_request=return_request, receipts=[LineReceipt(first.pk, 1)], actor=actor
        )

    assert _status(return_request) == status


def test_inspecting_some_lines_keeps_the_return_received(order_a, actor):
    return_request = _in("received", order_a)
    first, _second = return_request.lines.all()
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(first.pk, 2)], actor=actor
    )

    services.inspect_lines(
        return_request=return_request,
        inspections=[LineInspection(first.pk, accepted_qty=2, grade="A")],
        actor=actor,
    )

    assert _status(return_request) == ReturnStatus.RECEIVED
    assert _events(return_request)[-1] == ("lines_inspected", "received", "received")


def test_inspecting_every_line_moves_the_return_to_inspected(order_a, actor):
    return_request = _in("delivered", order_a)
    first, second = return_request.lines.all()
    services.receive_lines(
        return_request=return_request,
        receipts=[LineReceipt(first.pk, 2), LineReceipt(second.pk, 1)],
        actor=actor,
    )
    services.inspect_lines(
        return_request=return_request, inspections=[LineInspection(first.pk, 2)], actor=actor
    )

    services.inspect_lines(
        return_request=return_request,
        inspections=[LineInspection(second.pk, 0, damaged_qty=1, disposition="scrap")],
        actor=actor,
    )

    assert _status(return_request) == ReturnStatus.INSPECTED
    assert _events(return_request)[-1] == ("lines_inspected", "received", "inspected")
    second.refresh_from_db()
    assert (second.accepted_qty, second.damaged_qty, second.disposition) == (0, 1, "scrap")


def test_it_refuses_to_accept_more_than_received(order_a, actor):
    return_request = _in("delivered", order_a)
    first = return_request.lines.first()
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(first.pk, 1)], actor=actor
    )

    with pytest.raises(InvalidRequest):
        services.inspect_lines(
            return_request=return_request, inspections=[LineInspection(first.pk, 2)], actor=actor
        )

    first.refresh_from_db()
    assert (first.status, first.accepted_qty) == (LineStatus.RECEIVED, 0)


def test_it_refuses_to_inspect_a_return_not_received(order_a, actor):
    return_request = _in("delivered", order_a)
    first = return_request.lines.first()

    with pytest.raises(IllegalTransition):
        services.inspect_lines(
            return_request=return_request, inspections=[LineInspection(first.pk, 0)], actor=actor
        )

    assert _status(return_request) == ReturnStatus.DELIVERED


def test_it_refuses_to_receive_a_line_already_inspected(order_a, actor):
    return_request = _in("received", order_a)
    first = return_request.lines.first()
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(first.pk, 2)], actor=actor
    )
    services.inspect_lines(
        return_request=return_request, inspections=[LineInspection(first.pk, 2)], actor=actor
    )

    with pytest.raises(IllegalTransition):
        services.receive_lines(
            return_request=return_request, receipts=[LineReceipt(first.pk, 1)], actor=actor
        )

    first.refresh_from_db()
    assert first.received_qty == 2


def test_resolve_moves_an_inspected_return_to_resolved(actor):
    return_request = _in("inspected")

    services.resolve_return(
        return_request=return_request, actor=actor, outcome="refund", reference="re_1"
    )

    assert _status(return_request) == ReturnStatus.RESOLVED
    event = ReturnEvent.objects.get(return_request=return_request)
    assert event.data == {"outcome": "refund", "reference": "re_1"}


def test_resolve_refuses_an_unknown_outcome(actor):
    return_request = _in("inspected")

    with pytest.raises(InvalidRequest):
        services.resolve_return(return_request=return_request, actor=actor, outcome="pizza")

    assert _status(return_request) == ReturnStatus.INSPECTED


def test_close_moves_a_resolved_return_to_closed(actor):
    return_request = _in("resolved")

    services.close_return(return_request=return_request, actor=actor)

    assert _status(return_request) == ReturnStatus.CLOSED


def test_close_is_refused_before_resolution(actor):
    return_request = _in("inspected")

    with pytest.raises(IllegalTransition):
        services.close_return(return_request=return_request, actor=actor)

    assert _status(return_request) == ReturnStatus.INSPECTED


def test_a_return_goes_the_whole_way_from_request_to_closed(order_a, actor):
    return_request = _open_return(order_a, actor)
    first, second = return_request.lines.all()

    services.approve_return(return_request=return_request, actor=actor)
    services.record_label(
        return_request=return_request, carrier="dhl", tracking_number="JD0001", actor=actor
    )
    services.mark_in_transit(return_request=return_request, actor=actor)
    services.mark_delivered(return_request=return_request, actor=actor)
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(first.pk, 2)], actor=actor
    )
    services.receive_lines(
        return_request=return_request, receipts=[LineReceipt(second.pk, 1)], actor=actor
    )
    services.inspect_lines(
        return_request=return_request, inspections=[LineInspection(first.pk, 2)], actor=actor
    )
    services.inspect_lines(
        return_request=return_request, inspections=[LineInspection(second.pk, 1)], actor=actor
    )
    services.resolve_return(return_request=return_request, actor=actor, outcome="refund")
    services.close_return(return_request=return_request, actor=actor)

    changes = [(f, t) for _k, f, t in _events(return_request) if f != t]
    assert changes == [
        ("requested", "approved"),
        ("approved", "label_issued"),
        ("label_issued", "in_transit"),
        ("in_transit", "delivered"),
        ("delivered", "received"),
        ("received", "inspected"),
        ("inspected", "resolved"),
        ("resolved", "closed"),
    ]
    assert _status(return_request) == ReturnStatus.CLOSED
