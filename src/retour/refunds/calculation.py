"""The refund calculation: pure (no database), so that the portal's estimate and the final amount
come from the same function and can be checked by property-based tests.

What a unit of an order line cost the shopper:

    line paid = round(unit price × quantity) − line discount − its share of the order discount
                (+ line tax when prices exclude tax; when they include it, the tax is inside)

The order-level discount (`OrderInput.order_discount`: the part of the order's discounts not
already on a line) is spread over the lines pro rata to their net amount by largest remainder.
A line's amount is then spread evenly over its units by `cumulative_share`: the units refunded
first get the floor of their share and the last unit of the line takes the remainder, so the
refunds of a line add up to exactly what was paid for it, whatever the order of the refunds.

Then: inspection deductions (per line, never above the line's amount), the original shipping
(once per order, by the store's rule), fees (restocking, return shipping; never below zero), and
the store-credit bonus (only on the part paid as store credit; it is not money the shopper paid).
Every amount is quantized to the currency's minor unit; no float is ever used.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from retour.core.money import ZERO, allocate, cumulative_share, quantize
from retour.refunds.choices import ShippingRule


class CalculationError(ValueError):
    """The inputs cannot describe a real order or refund (e.g. more units than were bought)."""


@dataclass(frozen=True)
class LineInput:
    """One order line as paid: `discount` and `tax` are for the whole line."""

    line_id: int
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass(frozen=True)
class OrderInput:
    currency: str
    taxes_included: bool
    lines: Sequence[LineInput]
    order_discount: Decimal = ZERO  # not yet on any line: spread pro rata
    shipping: Decimal = ZERO  # what the shopper paid for shipping, its tax included


@dataclass(frozen=True)
class UnitsInput:
    """Units of one order line refunded now, and what inspection deducts from them."""

    line_id: int
    quantity: int
    deduction: Decimal = ZERO
    deduction_reason: str = ""


@dataclass(frozen=True)
class Fee:
    """A fee kept by the store: a fixed `amount`, or a `rate` of the items' amount."""

    code: str  # "restocking", "return_shipping", …
    amount: Decimal = ZERO
    rate: Decimal = ZERO


@dataclass(frozen=True)
class RefundInput:
    units: Sequence[UnitsInput]
    already_refunded: Mapping[int, int] = field(default_factory=dict)  # line id → units refunded
    fees: Sequence[Fee] = ()
    shipping_rule: str = ShippingRule.NEVER
    merchant_fault: bool = False
    shipping_already_refunded: bool = False
    to_store_credit: bool = False
    store_credit_bonus_rate: Decimal = ZERO


@dataclass(frozen=True)
class LineBreakdown:
    line_id: int
    quantity: int
    unit_price: Decimal
    gross: Decimal  # unit price × units
    line_discount: Decimal
    order_discount: Decimal
    tax: Decimal
    tax_included: bool  # True: `tax` is inside `paid`; False: it was added to it
    paid: Decimal  # what the shopper paid for these units
    deduction: Decimal
    deduction_reason: str
    amount: Decimal  # paid − deduction: what is refunded for these units


@dataclass(frozen=True)
class FeeLine:
    code: str
    amount: Decimal


@dataclass(frozen=True)
class Breakdown:
    """The itemised result, stored with the refund (as JSON, amounts as strings)."""

    currency: str
    lines: tuple[LineBreakdown, ...]
    items: Decimal  # Σ line amounts
    shipping: Decimal  # original shipping refunded (0 unless the rule applies, and only once)
    fees: tuple[FeeLine, ...]
    total: Decimal  # items + shipping − fees: the money returned to the shopper
    bonus: Decimal  # store-credit bonus on top of `total` (not counted against payments)

    @property
    def refunds_shipping(self) -> bool:
        return self.shipping > 0

    @property
    def fees_total(self) -> Decimal:
        return sum((fee.amount for fee in self.fees), ZERO)

    def as_json(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [plain(item) for item in value]
            return value

        return plain(asdict(self))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Breakdown":
        def money(value: str) -> Decimal:
            return Decimal(value)

        lines = tuple(
            LineBreakdown(
                **{
                    key: money(value) if key in _LINE_MONEY else value
                    for key, value in line.items()
                }
            )
            for line in data["lines"]
        )
        return cls(
            currency=data["currency"],
            lines=lines,
            items=money(data["items"]),
            shipping=money(data["shipping"]),
            fees=tuple(FeeLine(fee["code"], money(fee["amount"])) for fee in data["fees"]),
            total=money(data["total"]),
            bonus=money(data["bonus"]),
        )


_LINE_MONEY = frozenset(
    {"unit_price", "gross", "line_discount", "order_discount", "tax", "paid", "deduction", "amount"}
)


def line_totals(order: OrderInput) -> dict[int, dict[str, Decimal]]:
    """What was paid for each whole line, and of which gross, discounts and tax."""
    currency = order.currency
    gross = {
        line.line_id: quantize(line.unit_price * line.quantity, currency) for line in order.lines
    }
    nets = []
    for line in order.lines:
        if line.quantity < 1:
            raise CalculationError("a line has at least one unit")
        net = gross[line.line_id] - quantize(line.discount, currency)
        if net < 0 or line.discount < 0 or line.tax < 0:
            raise CalculationError("a line's discount exceeds its price, or an amount is negative")
        nets.append(net)
    order_discount = quantize(order.order_discount, currency)
    if order_discount < 0 or order_discount > sum(nets, ZERO):
        raise CalculationError("the order discount exceeds the lines' amount")
    shares = allocate(order_discount, nets, currency) if nets else []
    totals: dict[int, dict[str, Decimal]] = {}
    for line, net, share in zip(order.lines, nets, shares, strict=True):
        tax = quantize(line.tax, currency)
        totals[line.line_id] = {
            "gross": gross[line.line_id],
            "line_discount": quantize(line.discount, currency),
            "order_discount": share,
            "tax": tax,
            "paid": net - share + (ZERO if order.taxes_included else tax),
        }
    return totals


def order_paid(order: OrderInput) -> Decimal:
    """What the whole order cost the shopper: Σ line paid + shipping."""
    totals = line_totals(order)
    return sum((t["paid"] for t in totals.values()), ZERO) + quantize(
        order.shipping, order.currency
    )


def _shipping_applies(order: OrderInput, request: RefundInput) -> bool:
    if request.shipping_already_refunded or quantize(order.shipping, order.currency) <= 0:
        return False
    now = {units.line_id: units.quantity for units in request.units}
    whole = all(
        request.already_refunded.get(line.line_id, 0) + now.get(line.line_id, 0) == line.quantity
        for line in order.lines
    )
    rule = request.shipping_rule
    return (
        (rule == ShippingRule.WHOLE_ORDER and whole)
        or (rule == ShippingRule.MERCHANT_FAULT and request.merchant_fault)
        or (
            rule == ShippingRule.WHOLE_ORDER_OR_MERCHANT_FAULT and (whole or request.merchant_fault)
        )
    )


def calculate(order: OrderInput, request: RefundInput) -> Breakdown:
    """The itemised refund for `request` on `order`: the same function gives the estimate (with
    the quantities asked for) and the final amount (with the quantities accepted)."""
    currency = order.currency
    totals = line_totals(order)
    by_id = {line.line_id: line for line in order.lines}
    seen: set[int] = set()
    lines: list[LineBreakdown] = []
    for units in request.units:
        line = by_id.get(units.line_id)
        if line is None or units.line_id in seen:
            raise CalculationError("unknown or repeated order line")
        seen.add(units.line_id)
        done = request.already_refunded.get(units.line_id, 0)
        if units.quantity < 0 or done < 0 or done + units.quantity > line.quantity:
            raise CalculationError("more units refunded than were bought")
        if units.quantity == 0:
            continue
        total = totals[units.line_id]

        def share(key: str, *, _t=total, _d=done, _n=units.quantity, _q=line.quantity) -> Decimal:
            return cumulative_share(_t[key], _d, _n, _q, currency)

        paid = share("paid")
        gross = share("gross")
        line_discount = share("line_discount")
        tax = share("tax")
        # The order discount is what is left once the other parts are known, so that the parts
        # shown to the shopper always add up to what they paid.
        order_discount = gross - line_discount - paid + (ZERO if order.taxes_included else tax)
        deduction = min(max(quantize(units.deduction, currency), ZERO), paid)
        lines.append(
            LineBreakdown(
                line_id=units.line_id,
                quantity=units.quantity,
                unit_price=quantize(line.unit_price, currency),
                gross=gross,
                line_discount=line_discount,
                order_discount=order_discount,
                tax=tax,
                tax_included=order.taxes_included,
                paid=paid,
                deduction=deduction,
                deduction_reason=units.deduction_reason if deduction else "",
                amount=paid - deduction,
            )
        )
    items = sum((line.amount for line in lines), ZERO)
    shipping = (
        quantize(order.shipping, currency) if lines and _shipping_applies(order, request) else ZERO
    )
    left = items + shipping
    fees: list[FeeLine] = []
    for fee in request.fees:
        wanted = quantize(fee.amount, currency) + quantize(fee.rate * items, currency)
        amount = min(max(wanted, ZERO), left)  # a fee never makes the refund negative
        left -= amount
        if amount:
            fees.append(FeeLine(fee.code, amount))
    bonus = (
        quantize(left * request.store_credit_bonus_rate, currency)
        if request.to_store_credit and request.store_credit_bonus_rate > 0
        else ZERO
    )
    return Breakdown(
        currency=currency,
        lines=tuple(lines),
        items=items,
        shipping=shipping,
        fees=tuple(fees),
        total=left,
        bonus=bonus,
    )


@dataclass(frozen=True)
class Difference:
    code: str
    message: str


def explain_difference(estimate: Breakdown, final: Breakdown) -> list[Difference]:
    """Why the final amount differs from the estimate, in words the shopper is told."""
    reasons: list[Difference] = []
    asked = {line.line_id: line for line in estimate.lines}
    kept = {line.line_id: line for line in final.lines}
    if any(
        kept.get(line_id) is None or kept[line_id].quantity < line.quantity
        for line_id, line in asked.items()
    ):
        reasons.append(
            Difference("quantity", _("Fewer items were received or accepted than announced."))
        )
    if sum((line.deduction for line in final.lines), ZERO) > sum(
        (line.deduction for line in estimate.lines), ZERO
    ):
        details = "; ".join(line.deduction_reason for line in final.lines if line.deduction_reason)
        message = _("The inspection found items not in their original condition.")
        reasons.append(Difference("inspection", f"{message} {details}".strip()))
    if final.fees_total != estimate.fees_total:
        reasons.append(Difference("fees", _("The fees kept by the store changed.")))
    if final.shipping != estimate.shipping:
        reasons.append(
            Difference("shipping", _("The original shipping cost is refunded differently."))
        )
    if final.bonus != estimate.bonus and not reasons:
        reasons.append(Difference("bonus", _("The store-credit bonus changed.")))
    return reasons
