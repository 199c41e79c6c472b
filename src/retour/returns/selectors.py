"""Reads for returns: query shapes are decided here, once, so callers stay N+1-free."""

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from retour.commerce.models import Fulfillment, FulfillmentLine, Order, OrderLine, Payment
from retour.core.prepared import PreparedQuery
from retour.returns.choices import SETTLED_STATUSES, VOID_STATUSES, ClaimStatus, LineStatus
from retour.returns.models import ClaimLine, Return, ReturnEvent, ReturnLine, ReturnReason


def _sum_subquery(queryset: QuerySet, expression) -> Coalesce:
    """SUM(expression) over `queryset` (already correlated to OuterRef('pk')), 0 when empty."""
    summed = (
        queryset.order_by().values("order_line").annotate(total=Sum(expression)).values("total")
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def order_lines_with_quantities(order_id: int) -> QuerySet[OrderLine]:
    """The order's lines annotated with `delivered_qty`, `returned_qty` and `claimed_qty` (from
    which `OrderLine.returnable_qty` follows), in one query whatever the number of lines.

    The difference is taken in Python: in SQL it would repeat the three subqueries, doubling
    PostgreSQL's planning time on the API's hottest read.

    Returned = what live returns hold: the announced quantity while the parcel is on its way, the
    received quantity once the return is settled (units never sent back become returnable again).
    A line settled without ever being received (a returnless refund: the shopper keeps the item)
    keeps holding its announced quantity: those units were paid back.
    """
    delivered = _sum_subquery(
        FulfillmentLine.objects.filter(
            order_line=OuterRef("pk"), fulfillment__delivered_at__isnull=False
        ),
        "quantity",
    )
    returned = _sum_subquery(
        ReturnLine.objects.filter(order_line=OuterRef("pk")).exclude(
            return_request__status__in=VOID_STATUSES
        ),
        Case(
            When(
                Q(return_request__status__in=SETTLED_STATUSES) & ~Q(status=LineStatus.EXPECTED),
                then=F("received_qty"),
            ),
            default=F("quantity"),
        ),
    )
    claimed = _sum_subquery(
        ClaimLine.objects.filter(order_line=OuterRef("pk")).exclude(
            claim__status=ClaimStatus.REJECTED
        ),
        "quantity",
    )
    return (
        OrderLine.objects.filter(order_id=order_id)
        .select_related("variant__product")
        .annotate(delivered_qty=delivered, returned_qty=returned, claimed_qty=claimed)
        .order_by("id")
    )


def returns_for_stores(store_ids) -> QuerySet[Return]:
    return Return.objects.filter(store_id__in=store_ids).select_related("store", "order")


_RETURN_BY_RMA = PreparedQuery(
    lambda store_id, rma: Return.objects.filter(store_id=store_id, rma=rma).select_related("order")[
        :1
    ],
    (int, str),
)
_RETURN_LINES = PreparedQuery(
    lambda return_id: (
        ReturnLine.objects.filter(return_request_id=return_id)
        .select_related("order_line", "reason")
        .order_by("id")
    )
)
_RETURN_EVENTS = PreparedQuery(
    lambda return_id: ReturnEvent.objects.filter(return_request_id=return_id).order_by(
        "created_at", "id"
    )
)


def find_return(*, store_id: int, rma: str) -> Return | None:
    """A store's return by its RMA number (with its order), or None: one query."""
    found = _RETURN_BY_RMA.run(store_id, rma.strip().upper())
    return found[0] if found else None


def return_detail(*, store_id: int, rma: str) -> Return | None:
    """Everything a return's page or API answer shows (`listed_lines` with their order line
    and reason, `listed_events`): three queries whatever the return's size."""
    return_request = find_return(store_id=store_id, rma=rma)
    if return_request is not None:
        return_request.listed_lines = _RETURN_LINES.run(return_request.pk)
        return_request.listed_events = _RETURN_EVENTS.run(return_request.pk)
    return return_request


_ACTIVE_REASONS = PreparedQuery(
    lambda store_id: (
        ReturnReason.objects.filter(store_id=store_id, active=True)
        .select_related("parent")
        .order_by("position", "id")
    )
)


def active_reasons(store_id: int) -> list[ReturnReason]:
    """The store's reason catalogue (with each sub-reason's parent), in display order."""
    return _ACTIVE_REASONS.run(store_id)


# The order read is the API's hottest path: its four queries are compiled once per process.
_ORDER_BY_NUMBER = PreparedQuery(
    lambda store_id, number: Order.objects.filter(store_id=store_id, number=number)[:1], (int, str)
)
_LINES_WITH_QUANTITIES = PreparedQuery(order_lines_with_quantities)
_PAYMENTS = PreparedQuery(lambda order_id: Payment.objects.filter(order_id=order_id).order_by("id"))
_SHIPPED_LINES = PreparedQuery(
    lambda order_id: (
        FulfillmentLine.objects.filter(fulfillment__order_id=order_id)
        .select_related("fulfillment")
        .order_by("fulfillment_id", "id")
    )
)


def find_order(*, store_id: int, number: str) -> Order | None:
    """A store's order by its number, or None: one query."""
    found = _ORDER_BY_NUMBER.run(store_id, number.strip())
    return found[0] if found else None


def order_detail(*, store_id: int, number: str) -> Order | None:
    """An order with its payments, shipments and lines annotated with what can still be
    returned: four queries whatever the order's size."""
    order = find_order(store_id=store_id, number=number)
    if order is None:
        return None
    order.annotated_lines = _LINES_WITH_QUANTITIES.run(order.pk)
    order.listed_payments = _PAYMENTS.run(order.pk)
    order.listed_fulfillments = _fulfillments_with_lines(order.pk)
    return order


def _fulfillments_with_lines(order_id: int) -> list[Fulfillment]:
    """The order's shipments with their lines (`shipped_lines`): one query, where a prefetch
    takes two."""
    fulfillments: dict[int, Fulfillment] = {}
    for item in _SHIPPED_LINES.run(order_id):
        fulfillment = fulfillments.setdefault(item.fulfillment_id, item.fulfillment)
        fulfillment.__dict__.setdefault("shipped_lines", []).append(item)
    return list(fulfillments.values())


def return_for_staff(*, store_ids, rma: str) -> Return | None:
    """A return of one of `store_ids` with everything its staff page shows, or None: its store,
    order, customer and policy version; its lines (order line, reason, the shopper's photos),
    events (with their author) and messages. Five queries whatever the return's size.

    `photos` is the portal's reverse relation on a line: named here, not imported (the portal
    sits above returns)."""
    return (
        Return.objects.filter(store_id__in=store_ids, rma=rma.strip().upper())
        .select_related("store", "order", "customer", "policy_version")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related("order_line", "reason__parent").order_by(
                    "id"
                ),
            ),
            "lines__photos",
            Prefetch("events", queryset=ReturnEvent.objects.select_related("actor_user")),
            "messages",
        )
        .first()
    )
