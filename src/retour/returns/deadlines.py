"""The legal refund deadline of a withdrawal, computed here and nowhere else.

A return is a withdrawal when the policy decided one of its lines under the legal right of
withdrawal (its stored decision's `case`). The notice is the order's first `Withdrawal` (the
portal's withdrawal button) or, failing one, the return request itself (an unequivocal statement,
art. 11(1)(b)). The law (`policy.law.withdrawal_refund_due`) gives the deadline from the notice
and from when the goods came back or were proven sent (the first carrier scan or receipt).
`legal_refund_deadline` answers for one return; `open_refund_deadlines` lists a store's unpaid
ones for the dashboard, in two queries whatever their number.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Min, OuterRef, Prefetch, QuerySet, Subquery

from retour.core.money import quantize
from retour.policy.law import (
    CountryLaw,
    late_refund_increase,
    law_for,
    withdrawal_refund_due,
)
from retour.returns.choices import VOID_STATUSES, ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnLine, Withdrawal

# The first of these is proof the goods were sent (a carrier scan) or are back.
GOODS_BACK_STATUSES = (ReturnStatus.IN_TRANSIT, ReturnStatus.DELIVERED, ReturnStatus.RECEIVED)
# Once resolved (refunded, credited or exchanged) nothing is due any more.
PAID_STATUSES = frozenset({ReturnStatus.RESOLVED, ReturnStatus.CLOSED})
DUE_SOON = timedelta(days=3)
# The first step of France's increases (L242-4): what a refund more than 10 days late costs.
FIRST_STEP_DAYS = 11


@dataclass(frozen=True)
class LegalDeadline:
    """When the refund of a withdrawal is due, and what paying it late costs."""

    return_request: Return
    law: CountryLaw
    notice_at: datetime
    goods_back_at: datetime | None  # None: the refund may be withheld until then
    due_at: datetime
    amount: Decimal  # the withdrawn items' price, what the late increases are counted on
    currency: str
    zone: ZoneInfo  # the store's: days are counted in its calendar

    @property
    def withheld(self) -> bool:
        """Art. 13(3): nothing came back nor was proven sent yet."""
        return self.goods_back_at is None

    def _due_day(self) -> date:
        return self.due_at.astimezone(self.zone).date()

    def days_late(self, now: datetime) -> int:
        today = now.astimezone(self.zone).date()
        return max((today - self._due_day()).days, 0)

    def state(self, now: datetime) -> str:
        """ "overdue", "due_soon" (within `DUE_SOON`), "withheld" (past the 14 days, waiting for
        the goods) or "running"."""
        if now > self.due_at:
            return "withheld" if self.withheld else "overdue"
        return "due_soon" if now > self.due_at - DUE_SOON else "running"

    def late_cost(self, days_late: int) -> Decimal:
        """The increase the law adds to the refund paid `days_late` days late (0 where none)."""
        increase = late_refund_increase(
            self.law,
            amount=self.amount,
            product_price=self.amount,
            days_late=days_late,
            due=self._due_day(),
        )
        return quantize(increase, self.currency)

    def cost_now(self, now: datetime) -> Decimal:
        return self.late_cost(0 if self.withheld else self.days_late(now))


def _annotated(queryset: QuerySet[Return]) -> QuerySet[Return]:
    first_notice = (
        Withdrawal.objects.filter(order_id=OuterRef("order_id"))
        .order_by()
        .values("order_id")
        .annotate(first=Min("notified_at"))
        .values("first")[:1]
    )
    goods_back = (
        ReturnEvent.objects.filter(
            return_request_id=OuterRef("pk"), to_status__in=GOODS_BACK_STATUSES
        )
        .order_by()
        .values("return_request_id")
        .annotate(first=Min("created_at"))
        .values("first")[:1]
    )
    lines = ReturnLine.objects.select_related("order_line").only(
        "id",
        "return_request_id",
        "quantity",
        "order_line__id",
        "order_line__quantity",
        "order_line__unit_price",
        "order_line__discount",
    )
    return (
        queryset.select_related("order", "store")
        .annotate(first_notice_at=Subquery(first_notice), goods_back_at=Subquery(goods_back))
        .prefetch_related(Prefetch("lines", queryset=lines.order_by("id"), to_attr="priced_lines"))
    )


def _is_withdrawal(return_request: Return) -> bool:
    mine = {line.order_line_id for line in return_request.priced_lines}
    lines = (return_request.decision or {}).get("lines", [])
    return any(line.get("case") == "withdrawal" for line in lines if line.get("line") in mine)


def _price(line: ReturnLine) -> Decimal:
    order_line = line.order_line
    unit = order_line.unit_price - (order_line.discount or Decimal("0")) / (
        order_line.quantity or 1
    )
    return unit * line.quantity


def _deadline(return_request: Return) -> LegalDeadline | None:
    order, store = return_request.order, return_request.store
    law = law_for(order.shipping_country or store.country)
    if not law.refund_due_days or not _is_withdrawal(return_request):
        return None
    notice_at = min(
        moment
        for moment in (return_request.first_notice_at, return_request.created_at)
        if moment is not None
    )
    due_at = withdrawal_refund_due(
        law, notice_at=notice_at, goods_back_at=return_request.goods_back_at, zone=store.timezone
    )
    return LegalDeadline(
        return_request=return_request,
        law=law,
        notice_at=notice_at,
        goods_back_at=return_request.goods_back_at,
        due_at=due_at,
        amount=quantize(
            sum(map(_price, return_request.priced_lines), Decimal("0")), order.currency
        ),
        currency=order.currency,
        zone=ZoneInfo(store.timezone or "UTC"),
    )


def legal_refund_deadline(return_request: Return) -> LegalDeadline | None:
    """The legal refund deadline of one return (None: not a withdrawal, or no such law where
    the goods went). Three queries."""
    found = _annotated(Return.objects.filter(pk=return_request.pk)).first()
    return _deadline(found) if found is not None else None


def open_refund_deadlines(store_ids: list[int]) -> list[LegalDeadline]:
    """The stores' withdrawals not refunded yet, the earliest deadline first. Two queries."""
    returns = _annotated(
        Return.objects.filter(store_id__in=store_ids).exclude(
            status__in=[*VOID_STATUSES, *PAID_STATUSES]
        )
    ).order_by("created_at", "id")
    found = [deadline for r in returns if (deadline := _deadline(r)) is not None]
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.return_request.pk))
