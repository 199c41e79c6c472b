"""Abuse signals: a risk score per shopper from transparent, named signals.

Each signal is a plain count or rate over the store's own history, with the points it adds;
the score (0–100) is their sum, capped. Staff see every signal with its value, and the rules
engine can use the score, the return rate and the past return count as conditions.

The history is read as annotations on the order's own query (`history_annotations`), so
gathering it costs no extra query. A shopper is known by the e-mail of their orders.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from retour.commerce.models import Order
from retour.returns.choices import VOID_STATUSES, LineStatus
from retour.returns.models import Return, ReturnLine

RECENT_ORDERS = 10  # the return rate is measured over the shopper's last N orders
HIGH_VALUE = Decimal("150")  # a returned unit at or above this price is "high value"
MIN_ORDERS_FOR_RATE = 3  # below this, a rate says nothing yet


@dataclass(frozen=True)
class Signal:
    name: str  # stable id, also the translation key shown to staff
    value: Decimal | int
    points: int

    def as_json(self) -> dict:
        return {"name": self.name, "value": str(self.value), "points": self.points}


@dataclass(frozen=True)
class Risk:
    score: int
    past_orders: int
    past_returns: int
    return_rate: Decimal
    signals: tuple[Signal, ...]

    def as_json(self) -> dict:
        return {
            "score": self.score,
            "past_orders": self.past_orders,
            "past_returns": self.past_returns,
            "return_rate": str(self.return_rate),
            "signals": [signal.as_json() for signal in self.signals],
        }


def _count(queryset, distinct_field: str = "pk") -> Coalesce:
    """COUNT over a queryset correlated to the outer order (one group: the store)."""
    counted = (
        queryset.order_by()
        .values("store_id" if queryset.model is not ReturnLine else "return_request__store_id")
        .annotate(n=Count(distinct_field, distinct=distinct_field != "pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))


def history_annotations() -> dict:
    """Annotations for an `Order` queryset: the history of the order's shopper (same store,
    same e-mail) before this order, and returns to the same address under other e-mails."""
    # Nested one level deeper (inside the COUNT below), so it refers to the outer order twice.
    recent_ids = (
        Order.objects.filter(
            store_id=OuterRef(OuterRef("store_id")),
            email=OuterRef(OuterRef("email")),
            placed_at__lt=OuterRef(OuterRef("placed_at")),
        )
        .order_by("-placed_at")
        .values("pk")[:RECENT_ORDERS]
    )
    live_returns = Return.objects.exclude(status__in=VOID_STATUSES)
    returned = Exists(live_returns.filter(order_id=OuterRef("pk")))
    shopper_lines = ReturnLine.objects.filter(
        return_request__store_id=OuterRef("store_id"),
        return_request__order__email=OuterRef("email"),
    ).exclude(return_request__status__in=VOID_STATUSES)
    same_address = Order.objects.filter(
        store_id=OuterRef("store_id"),
        shipping_postcode=OuterRef("shipping_postcode"),
        shipping_address__line1=OuterRef("shipping_address__line1"),
        returns__isnull=False,
    ).exclude(email=OuterRef("email"))
    return {
        "risk_recent_orders": _count(Order.objects.filter(pk__in=recent_ids)),
        "risk_recent_returned": _count(Order.objects.filter(pk__in=recent_ids).filter(returned)),
        "risk_past_returns": _count(
            live_returns.filter(store_id=OuterRef("store_id"), order__email=OuterRef("email"))
        ),
        "risk_high_value": _count(shopper_lines.filter(order_line__unit_price__gte=HIGH_VALUE)),
        "risk_mismatches": _count(
            shopper_lines.filter(status=LineStatus.INSPECTED, accepted_qty__lt=F("quantity"))
        ),
        "risk_address_emails": _count(same_address, "email"),
    }


def assess(order: Order) -> Risk:
    """The score of an order annotated by `history_annotations` (pure arithmetic, no query)."""
    recent = order.risk_recent_orders
    rate = Decimal(order.risk_recent_returned) / recent if recent else Decimal("0")
    rate = rate.quantize(Decimal("0.01"))
    signals = []
    if recent >= MIN_ORDERS_FOR_RATE and rate >= Decimal("0.5"):
        signals.append(Signal("return_rate", rate, int(rate * 40)))
    if order.risk_high_value:
        signals.append(
            Signal("high_value_returns", order.risk_high_value, min(order.risk_high_value * 10, 20))
        )
    if order.risk_mismatches:
        signals.append(
            Signal(
                "inspection_mismatches", order.risk_mismatches, min(order.risk_mismatches * 25, 50)
            )
        )
    if order.risk_address_emails >= 2:
        signals.append(Signal("address_many_emails", order.risk_address_emails, 30))
    score = min(sum(signal.points for signal in signals), 100)
    return Risk(
        score=score,
        past_orders=recent,
        past_returns=order.risk_past_returns,
        return_rate=rate,
        signals=tuple(signals),
    )
