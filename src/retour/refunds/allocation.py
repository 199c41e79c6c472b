"""Where the money of a refund goes: split over the order's payments (pure, no database).

Each payment can give back at most `captured − refunded − pending` (pending: refunds reserved on it
but not yet confirmed by the gateway). The amount is filled payment by payment: gift cards first or
last as the store chooses, the others in the order they were taken. The caller holds the payments'
row locks while it computes `pending` and records the result, so two refunds cannot both use the
same headroom.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from retour.core.errors import Conflict
from retour.core.money import ZERO, minor_unit_exponent, quantize

GIFT_CARD_METHODS = frozenset({"gift_card", "giftcard", "gift-card"})


def _floor(amount: Decimal, currency: str) -> Decimal:
    """Down to the minor unit: headroom is never rounded up."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit_exponent(currency)), rounding=ROUND_DOWN)


class NotRefundable(Conflict):
    """More money asked back than the payments can still give."""

    code = "not_refundable"


@dataclass(frozen=True)
class PaymentBalance:
    payment_id: int
    method: str
    captured: Decimal
    refunded: Decimal
    pending: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return max(self.captured - self.refunded - self.pending, ZERO)

    @property
    def is_gift_card(self) -> bool:
        return self.method.lower() in GIFT_CARD_METHODS


def refund_order(
    payments: Sequence[PaymentBalance], *, gift_card_first: bool
) -> list[PaymentBalance]:
    """The order in which payments are refunded: gift cards first or last, then by creation."""

    def key(payment: PaymentBalance) -> tuple[int, int]:
        gift_rank = 0 if payment.is_gift_card == gift_card_first else 1
        return (gift_rank, payment.payment_id)

    return sorted(payments, key=key)


def split_over_payments(
    amount: Decimal,
    payments: Sequence[PaymentBalance],
    currency: str,
    *,
    gift_card_first: bool = False,
) -> list[tuple[int, Decimal]]:
    """[(payment id, amount)] adding up to `amount` exactly, none above its payment's headroom.

    Raises `NotRefundable` when the payments together cannot give back `amount`.
    """
    amount = quantize(amount, currency)
    if amount < 0:
        raise ValueError("a refund amount is never negative")
    available = sum((_floor(payment.available, currency) for payment in payments), ZERO)
    if amount > available:
        raise NotRefundable(
            _("Only %(available)s %(currency)s can still be refunded to the original payments.")
            % {"available": quantize(available, currency), "currency": currency},
            available=str(quantize(available, currency)),
            requested=str(amount),
        )
    parts: list[tuple[int, Decimal]] = []
    left = amount
    for payment in refund_order(payments, gift_card_first=gift_card_first):
        if left <= 0:
            break
        take = min(_floor(payment.available, currency), left)
        if take > 0:
            parts.append((payment.payment_id, take))
            left -= take
    return parts
