"""The return journey the connector tests share: one unit returned, received, graded and put
away, then refunded by hand — what makes a platform write-back."""

from retour.core.actors import Actor
from retour.refunds import services as refunds
from retour.returns import services as returns
from retour.returns.choices import Resolution, ReturnMethod
from retour.warehouse import services as warehouse
from retour.warehouse.models import InspectionUnit
from tests.warehouse.helpers import warehouse_of


def return_one_unit(order_line, owner, *, disposition: str = ""):
    """The shopper returns one unit of `order_line`; it is received, graded A and restocked (or
    given `disposition`, overriding the rules)."""
    order = order_line.order
    return_request = returns.create_return(
        order=order,
        lines=[returns.LineRequest(order_line_id=order_line.pk, quantity=1)],
        method=ReturnMethod.DROP_OFF,
        resolution=Resolution.REFUND,
        actor=Actor.shopper(order.email),
    )
    return put_away(return_request, owner, disposition=disposition)


def put_away(return_request, owner, *, disposition: str = ""):
    """Staff approve the return of one unit; the warehouse receives it, grades it A and restocks
    it (or gives it `disposition`, overriding the rules)."""
    warehouse_of(return_request.store)
    staff = Actor.staff(owner)
    returns.approve_return(return_request=return_request, actor=staff)
    (line,) = return_request.lines.all()
    warehouse.receive_parcel(
        return_request=return_request, warehouse=None, quantities={line.pk: 1}, actor=staff
    )
    warehouse.inspect_unit(return_line=line, unit_index=1, grade="A", actor=staff)
    warehouse.apply_disposition(
        unit=InspectionUnit.objects.get(return_line=line),
        actor=staff,
        disposition=disposition,
        override_reason="kept for the shop's charity sale" if disposition else "",
    )
    return return_request


def refund_by_hand(return_request, owner):
    """Finance refunds the return and records each part as paid (manual gateway)."""
    staff = Actor.staff(owner)
    refund = refunds.request_refund(return_request=return_request, actor=staff)
    refunds.process_refund(refund.pk)
    for part in refund.allocations.all():
        refunds.record_manual_refund(allocation=part, reference=f"done-{part.pk}", actor=staff)
    return refund
