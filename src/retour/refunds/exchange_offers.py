"""Exchanges chosen by staff on a return's page: what each returned line may be swapped for
(the variants of the same product in stock, with the price difference), and the exchange of
several lines at once through `exchanges.request_exchange` (which reserves the stock, writes the
return's events, and whose `exchange_requested` event starts the payment-link job when the
shopper owes a difference).

A replacement is offered when the store's default warehouse (the one the exchange reserves
from) has the line's quantity available (on hand − reserved). The offer is only a reading: the
reservation is still `exchanges`' conditional update, so a unit taken meanwhile is refused there.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from retour.commerce.models import StockLevel, Variant, Warehouse
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest
from retour.core.money import quantize
from retour.refunds.calculation import RefundInput, UnitsInput, calculate
from retour.refunds.choices import ExchangeStatus, RefundStatus
from retour.refunds.exchanges import OutOfStock, order_reserved_replacements, request_exchange
from retour.refunds.models import Exchange, RefundSettings
from retour.refunds.services import _refunded_units_by_order_line, order_input, trigger_passed
from retour.returns.choices import ReturnStatus as S
from retour.returns.models import Return, ReturnLine

# A return whose items may still be exchanged: not ended, not yet refunded (checked apart).
EXCHANGEABLE = frozenset(
    {
        S.REQUESTED,
        S.PENDING_REVIEW,
        S.APPROVED,
        S.LABEL_ISSUED,
        S.IN_TRANSIT,
        S.DELIVERED,
        S.RECEIVED,
        S.INSPECTED,
    }
)


@dataclass(frozen=True)
class Replacement:
    """A variant a line may be exchanged for; `difference` > 0: the shopper pays it; < 0: it is
    refunded."""

    variant: Variant
    available: int
    new_value: Decimal
    difference: Decimal

    @property
    def to_pay(self) -> Decimal:
        return max(self.difference, Decimal(0))

    @property
    def refunded(self) -> Decimal:
        return max(-self.difference, Decimal(0))


@dataclass(frozen=True)
class LineOffer:
    line: ReturnLine
    returned_value: Decimal
    replacements: tuple[Replacement, ...]  # in stock for the line's quantity, cheapest first
    exchange: Exchange | None  # the line's live exchange: nothing else is offered then


def default_warehouse(store_id: int) -> Warehouse | None:
    return Warehouse.objects.filter(store_id=store_id).order_by("-is_default", "id").first()


def exchange_offers(return_request: Return) -> list[LineOffer]:
    """Per returned line, the replacements it may get. Six queries whatever the number of lines."""
    order = return_request.order
    lines = list(return_request.lines.select_related("order_line__variant").order_by("id"))
    values = _returned_values(return_request, lines)
    warehouse = default_warehouse(return_request.store_id)
    products = {line.order_line.variant.product_id for line in lines if line.order_line.variant}
    stock = (
        StockLevel.objects.filter(
            warehouse=warehouse,
            variant__store_id=return_request.store_id,
            variant__product_id__in=products,
        )
        .annotate(available=F("on_hand") - F("reserved"))
        .filter(available__gt=0)
        .select_related("variant")
        .order_by("variant__price", "variant_id")
    )
    in_stock = list(stock) if warehouse is not None and products else []
    live = {
        exchange.return_line_id: exchange
        for exchange in Exchange.objects.filter(return_request=return_request)
        .exclude(status=ExchangeStatus.RELEASED)
        .select_related("variant")
    }
    offers = []
    for line in lines:
        variant, paid = line.order_line.variant, values.get(line.pk)
        replacements = ()
        if variant is not None and paid is not None and line.pk not in live:
            replacements = tuple(
                _replacement(level.variant, level.available, line.quantity, paid, order.currency)
                for level in in_stock
                if level.variant.product_id == variant.product_id
                and level.available >= line.quantity
            )
        offers.append(LineOffer(line, paid or Decimal(0), replacements, live.get(line.pk)))
    return offers


def _replacement(
    variant: Variant, available: int, quantity: int, paid: Decimal, currency: str
) -> Replacement:
    new_value = quantize(variant.price * quantity, currency)
    return Replacement(variant, available, new_value, new_value - paid)


def _returned_values(return_request: Return, lines: list[ReturnLine]) -> dict[int, Decimal]:
    """What the shopper paid for each line's units not refunded yet (`exchanges.returned_value`,
    for every line in one calculation: a line's amount does not depend on the others)."""
    order = return_request.order
    order_lines = {line.pk: line for line in order.lines.all()}
    refunded = _refunded_units_by_order_line(order.pk)
    open_lines = [
        line
        for line in lines
        if refunded.get(line.order_line_id, 0) + line.quantity
        <= order_lines[line.order_line_id].quantity
    ]
    breakdown = calculate(
        order_input(order, list(order_lines.values())),
        RefundInput(
            units=[
                UnitsInput(line_id=line.order_line_id, quantity=line.quantity)
                for line in open_lines
            ],
            already_refunded=refunded,
        ),
    )
    by_order_line = {item.line_id: item.amount for item in breakdown.lines}
    return {line.pk: by_order_line[line.order_line_id] for line in open_lines}


def chosen_replacements(
    return_request: Return, choices: Mapping[int, int]
) -> list[tuple[LineOffer, Replacement]]:
    """The offer and replacement of each chosen line (return line id → variant id), or the
    reason why one cannot be exchanged (InvalidRequest, OutOfStock)."""
    if not choices:
        raise InvalidRequest(_("Choose a replacement for at least one item."))
    if return_request.status not in EXCHANGEABLE:
        raise Conflict(_("This return can no longer be exchanged."))
    if return_request.refunds.exclude(status=RefundStatus.CANCELLED).exists():
        raise Conflict(_("This return is already refunded: an exchange would pay it twice."))
    offers = {offer.line.pk: offer for offer in exchange_offers(return_request)}
    siblings = Variant.objects.in_bulk(set(choices.values()))
    chosen = []
    for line_id, variant_id in sorted(choices.items()):
        offer = offers.get(line_id)
        if offer is None:
            raise InvalidRequest(_("This item is not part of the return."))
        if offer.exchange is not None:
            raise Conflict(_("This item is already being exchanged."))
        replacement = next((r for r in offer.replacements if r.variant.pk == variant_id), None)
        if replacement is None:
            chosen_variant = siblings.get(variant_id)
            returned = offer.line.order_line.variant
            if (
                chosen_variant is None
                or returned is None
                or (
                    chosen_variant.store_id,
                    chosen_variant.product_id,
                )
                != (returned.store_id, returned.product_id)
            ):
                raise InvalidRequest(_("Choose a variant of the returned item's product."))
            raise OutOfStock(
                _("“%(sku)s” is out of stock: nothing was exchanged.")
                % {"sku": chosen_variant.sku},
                variant_id=variant_id,
            )
        chosen.append((offer, replacement))
    return chosen


@transaction.atomic
def exchange_lines(
    *, return_request: Return, choices: Mapping[int, int], actor: Actor
) -> list[Exchange]:
    """Exchange each chosen line for its replacement, all or nothing. A return already past its
    refund trigger (its refund job has run) has its replacements that need no payment ordered
    now; a dearer one is ordered once its difference is paid (`record_difference_paid`)."""
    return_request = (
        Return.objects.select_for_update().select_related("order").get(pk=return_request.pk)
    )
    warehouse = default_warehouse(return_request.store_id)
    made = [
        request_exchange(
            return_line=offer.line,
            variant=replacement.variant,
            actor=actor,
            warehouse=warehouse,
        )
        for offer, replacement in chosen_replacements(return_request, choices)
    ]
    if trigger_passed(return_request, RefundSettings.for_store(return_request.store_id)):
        order_reserved_replacements(return_id=return_request.pk, actor=actor)
    return made
