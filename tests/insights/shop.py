"""A small fixed shop whose insights are computed by hand in the tests.

March 2025, store A, all prices in EUR:

| order | day     | product (category)        | units × price | returned (reason)              |
|-------|---------|---------------------------|---------------|--------------------------------|
| O0    | Feb 20  | Linen shirt M (shirts)    | 1 × 40        | 1 too_small (before the period) |
| O1    | Mar 3   | Linen shirt S, M (shirts) | 10 + 2 × 40   | 10 S too_small (en); 2 M cancelled |
| O2    | Mar 4   | Linen shirt M (shirts)    | 2 × 40        | 1 too_large (fr)               |
| O3    | Mar 3   | Oxford shirt (shirts)     | 500 × 10      | 150 changed_mind               |
| O4    | Mar 3   | Polo once (shirts)        | 1 × 10        | 1 changed_mind                 |
| O5    | Mar 4   | Basic tee (shirts)        | 1000 × 2      | 50 defective                   |
| O6    | Mar 4   | Runner (shoes)            | 20 × 50       | —                              |
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from retour.commerce.models import Order, OrderLine, Product, Store, Variant
from retour.returns.choices import ReturnStatus
from retour.returns.models import ReturnLine, ReturnReason
from tests.factories import OrderFactory, ProductFactory, ReturnFactory, VariantFactory

MARCH = (date(2025, 3, 1), date(2025, 3, 31))
EN_COMMENT = "The sleeves are tight, very tight on the shoulders"
FR_COMMENT = "Les manches sont serrées, vraiment trop serrées aux épaules"


@dataclass
class Shop:
    store: Store
    linen: Product
    oxford: Product
    polo: Product
    tee: Product
    runner: Product


def place_order(store: Store, day: date, *lines: tuple[Variant, int, str]) -> list[OrderLine]:
    order = OrderFactory(
        store=store, lines=[], placed_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    )
    made = [
        OrderLine.objects.create(
            order=order, variant=v, sku=v.sku, title=v.sku, quantity=q, unit_price=Decimal(p)
        )
        for v, q, p in lines
    ]
    Order.objects.filter(pk=order.pk).update(updated_at=order.placed_at)
    return made


def return_line(
    line: OrderLine,
    quantity: int,
    reason: str,
    *,
    comment="",
    locale="en",
    status=ReturnStatus.REQUESTED,
):
    made = ReturnFactory(order=line.order, lines=False, status=status, locale=locale)
    ReturnLine.objects.create(
        return_request=made,
        order_line=line,
        quantity=quantity,
        reason=ReturnReason.objects.get(store=line.order.store, code=reason),
        comment=comment,
        resolution=made.resolution,
    )
    return made


def make_product(
    store: Store, title: str, category: str, sizes=("",)
) -> tuple[Product, list[Variant]]:
    product = ProductFactory(store=store, title=title, category=category)
    variants = [
        VariantFactory(store=store, product=product, options={"Size": size} if size else {})
        for size in sizes
    ]
    return product, variants


def build(store: Store) -> Shop:
    linen, (small, medium) = make_product(store, "Linen shirt", "apparel/shirts", ("S", "M"))
    oxford, (oxford_v,) = make_product(store, "Oxford shirt", "apparel/shirts")
    polo, (polo_v,) = make_product(store, "Polo once", "apparel/shirts")
    tee, (tee_v,) = make_product(store, "Basic tee", "apparel/shirts")
    runner, (runner_v,) = make_product(store, "Runner", "apparel/shoes")

    (o0,) = place_order(store, date(2025, 2, 20), (medium, 1, "40"))
    return_line(o0, 1, "too_small")
    o1_small, o1_medium = place_order(store, date(2025, 3, 3), (small, 10, "40"), (medium, 2, "40"))
    return_line(o1_small, 10, "too_small", comment=EN_COMMENT)
    return_line(o1_medium, 2, "too_small", status=ReturnStatus.CANCELLED)
    (o2,) = place_order(store, date(2025, 3, 4), (medium, 2, "40"))
    return_line(o2, 1, "too_large", comment=FR_COMMENT, locale="fr")
    (o3,) = place_order(store, date(2025, 3, 3), (oxford_v, 500, "10"))
    return_line(o3, 150, "changed_mind")
    (o4,) = place_order(store, date(2025, 3, 3), (polo_v, 1, "10"))
    return_line(o4, 1, "changed_mind")
    (o5,) = place_order(store, date(2025, 3, 4), (tee_v, 1000, "2"))
    return_line(o5, 50, "defective")
    place_order(store, date(2025, 3, 4), (runner_v, 20, "50"))
    return Shop(store, linen, oxford, polo, tee, runner)
