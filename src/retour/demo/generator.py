"""A seeded generator of realistic demo shops: catalogue, customers, orders, returns and staff.

Orders are written with `bulk_create` in batches (100,000 orders in about a minute on SQLite):
the mirrored shop data has no business rules to run. Returns and claims, which do, go through
`retour.returns.services` like any other caller, so the demo shows only reachable states.
"""

import random
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from retour.accounts.scopes import Role
from retour.accounts.services import add_member
from retour.commerce.models import (
    Customer,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Store,
    Variant,
    Warehouse,
)
from retour.commerce.services import create_store
from retour.core.actors import Actor
from retour.core.money import quantize
from retour.demo.data import (
    COLOURS,
    EMAIL_DOMAINS,
    PRODUCTS,
    SHOE_SIZES,
    SIZES,
    STORES,
    ProductSpec,
    StoreSpec,
)
from retour.refunds import claims
from retour.returns import services
from retour.returns.choices import ClaimKind, ClaimResolution, Resolution, ReturnMethod
from retour.returns.services import install_default_reasons

DEMO_PASSWORD = "retour-demo"  # noqa: S105 - the documented login of the demo shop
OWNER_EMAIL = "owner@demo.test"
WAREHOUSE_EMAIL = "warehouse@demo.test"
ORDER_NUMBER_START = 1001
BATCH = 2000
HISTORY_DAYS = 60
VAT_RATE = Decimal("0.20")
ACTOR = Actor.system("demo")

Progress = Callable[[str], None]


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    orders: int = 0
    returns: int = 0
    claims: int = 0


@dataclass
class _Candidate:
    """An order with lines that were delivered in full: material for a return or a claim."""

    order: Order
    lines: list[OrderLine]


@dataclass
class _Context:
    store: Store
    spec: StoreSpec
    rng: random.Random
    now: datetime
    variants: list[Variant] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    candidates: list[_Candidate] = field(default_factory=list)
    candidate_rate: float = 0.0


def generate(
    *,
    orders: int,
    seed: int = 42,
    store_slugs: Iterable[str] | None = None,
    returns: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """Create the demo stores that do not exist yet, each with `orders` orders.

    `returns` is the number of returns per store (default: 5% of orders, at most 1,000).
    """
    say = progress or (lambda message: None)
    report = Report()
    slugs = list(store_slugs or STORES)
    for slug in slugs:
        if Store.objects.filter(slug=slug).exists():
            report.skipped.append(slug)
            say(f"{slug}: already exists, left as it is")
            continue
        wanted = min(orders // 20, 1000) if returns is None else returns
        # One generator per store, seeded from both, so each store is reproducible on its own.
        rng = random.Random(f"{seed}:{slug}")
        made = _generate_store(STORES[slug], rng, orders, wanted, say)
        report.created.append(slug)
        report.orders += orders
        report.returns += made[0]
        report.claims += made[1]
    if report.created:
        ensure_staff(Store.objects.filter(slug__in=report.created))
    return report


def _generate_store(
    spec: StoreSpec, rng: random.Random, orders: int, returns: int, say: Progress
) -> tuple[int, int]:
    started = timezone.now()
    store = _create_store(spec)
    now = started.replace(minute=0, second=0, microsecond=0)
    ctx = _Context(store=store, spec=spec, rng=rng, now=now)
    ctx.candidate_rate = min(1.0, 4 * (returns + 4) / max(orders, 1))
    ctx.variants = _create_catalogue(ctx)
    ctx.customers = _create_customers(ctx, max(10, orders * 7 // 10))
    for offset in range(0, orders, BATCH):
        _create_orders(ctx, offset, min(BATCH, orders - offset))
        done = min(offset + BATCH, orders)
        if done == orders or done % 20_000 == 0:
            say(f"{spec.slug}: {done:,} / {orders:,} orders")
    _refresh_statistics()
    made_returns = _create_returns(ctx, returns)
    made_claims = _create_claims(ctx)
    seconds = (timezone.now() - started).total_seconds()
    say(
        f"{spec.slug}: {orders:,} orders, {made_returns} returns, {made_claims} claims "
        f"in {seconds:.1f} s"
    )
    return made_returns, made_claims


def _refresh_statistics() -> None:
    """After a bulk load PostgreSQL's planner still sees near-empty tables until autovacuum
    comes by; its guesses then make per-order queries scan whole tables (and JIT-compile them)."""
    if connection.vendor != "postgresql":
        return
    models = (Customer, Order, OrderLine, Payment, Fulfillment, FulfillmentLine, Variant)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in models))


@transaction.atomic
def _create_store(spec: StoreSpec) -> Store:
    store = create_store(
        name=spec.name,
        slug=spec.slug,
        currency=spec.currency,
        country=spec.country,
        default_locale=spec.default_locale,
        locales=spec.locales,
        timezone=spec.timezone,
        support_email=spec.support_email,
        actor=ACTOR,
    )
    install_default_reasons(store=store, actor=ACTOR)
    Warehouse.objects.create(store=store, country=spec.country, is_default=True, **spec.warehouse)
    return store


# --- Catalogue ------------------------------------------------------------------------------


def ean13(first12: str) -> str:
    """Append the GS1 check digit: weights 1 and 3 alternate from the left."""
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def _option_sets(ctx: _Context, product: ProductSpec) -> list[tuple[str, dict[str, str]]]:
    """(SKU suffix, options) for each variant of a product."""
    fr = ctx.spec.language == "fr"
    size_key, colour_key = ("Taille", "Couleur") if fr else ("Size", "Colour")
    colours = ctx.rng.sample(sorted(COLOURS), ctx.rng.randint(2, 3))
    if product.kind == "single":
        return [(code, {colour_key: COLOURS[code][fr]}) for code in colours]
    if product.kind == "electronics":
        serial = f"{ctx.rng.randint(100, 999)}"
        return [(f"{serial}-{code}", {colour_key: COLOURS[code][fr]}) for code in colours[:2]]
    sizes = SHOE_SIZES if product.kind == "shoes" else SIZES
    size_key = "Pointure" if fr and product.kind == "shoes" else size_key
    return [
        (f"{code}-{size}", {colour_key: COLOURS[code][fr], size_key: size})
        for code in colours
        for size in sizes
    ]


def _create_catalogue(ctx: _Context) -> list[Variant]:
    spec, fr = ctx.spec, ctx.spec.language == "fr"
    variants = []
    for index, item in enumerate(PRODUCTS):
        product = Product.objects.create(
            store=ctx.store,
            external_id=f"prod-{item.code.lower()}",
            title=item.title_fr if fr else item.title_en,
            category=item.category,
            final_sale=item.final_sale,
            tags=[item.category.split("/")[0]],
        )
        for number, (suffix, options) in enumerate(_option_sets(ctx, item)):
            prefix = "ELC-" if item.kind == "electronics" else ""
            variants.append(
                Variant(
                    store=ctx.store,
                    product=product,
                    external_id=f"var-{item.code.lower()}-{number}",
                    sku=f"{prefix}{item.code}-{suffix}",
                    barcode=ean13(f"{spec.ean_prefix}{index:04d}{number:06d}"),
                    title=" / ".join(options.values()),
                    options=options,
                    price=Decimal(item.price),
                    weight_grams=item.weight_grams,
                )
            )
    Variant.objects.bulk_create(variants)
    return list(Variant.objects.filter(store=ctx.store).select_related("product").order_by("id"))


# --- Customers ------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def _phone(ctx: _Context) -> str:
    if ctx.spec.country == "FR":
        pairs = " ".join(f"{ctx.rng.randint(0, 99):02d}" for _ in range(4))
        return f"{ctx.spec.phone_prefix} {pairs}"
    return f"{ctx.spec.phone_prefix}{ctx.rng.randint(0, 999):03d}"


def _create_customers(ctx: _Context, count: int) -> list[Customer]:
    rng, spec, taken = ctx.rng, ctx.spec, set()
    customers = []
    for number in range(count):
        first, last = rng.choice(spec.first_names), rng.choice(spec.last_names)
        local = f"{_ascii(first)}.{_ascii(last)}"
        domain = rng.choice(EMAIL_DOMAINS)
        email = f"{local}@{domain}"
        while email in taken:
            email = f"{local}{rng.randint(1, 9999)}@{domain}"
        taken.add(email)
        locale = spec.default_locale if rng.random() < 0.9 else rng.choice(spec.locales)
        customers.append(
            Customer(
                store=ctx.store,
                external_id=f"cust-{number + 1}",
                email=email,
                first_name=first,
                last_name=last,
                phone=_phone(ctx),
                locale=locale,
            )
        )
    with transaction.atomic():
        Customer.objects.bulk_create(customers, batch_size=BATCH)
    return list(Customer.objects.filter(store=ctx.store).order_by("id"))


# --- Orders ---------------------------------------------------------------------------------


@dataclass
class _Draft:
    """One order being built, with the rows that hang off it."""

    order: Order
    lines: list[OrderLine]
    payments: list[Payment] = field(default_factory=list)
    fulfillments: list[tuple[Fulfillment, list[tuple[OrderLine, int]]]] = field(
        default_factory=list
    )


def _money(amount: Decimal, ctx: _Context) -> Decimal:
    return quantize(amount, ctx.spec.currency)


def _allocate(total: Decimal, weights: list[Decimal], ctx: _Context) -> list[Decimal]:
    """Split `total` in proportion to `weights`; the last share takes the rounding remainder so
    the shares add up exactly."""
    whole = sum(weights)
    shares = [_money(total * weight / whole, ctx) for weight in weights[:-1]]
    return [*shares, total - sum(shares, Decimal("0"))]


def _order_discount(ctx: _Context, subtotal: Decimal) -> Decimal:
    roll = ctx.rng.random()
    if roll < 0.10:
        return _money(subtotal * Decimal("0.10"), ctx)  # a 10 % promo code
    if roll < 0.15 and subtotal >= 80:
        return Decimal("15.00")  # a welcome voucher
    return Decimal("0.00")


def _build_lines(ctx: _Context) -> list[OrderLine]:
    rng = ctx.rng
    count = rng.choices([1, 2, 3, 4], weights=[45, 33, 15, 7])[0]
    lines = []
    for variant in rng.sample(ctx.variants, count):
        quantity = 1 if rng.random() < 0.88 else 2
        lines.append(
            OrderLine(
                external_id="",
                variant=variant,
                sku=variant.sku,
                title=f"{variant.product.title} – {variant.title}",
                options=variant.options,
                quantity=quantity,
                unit_price=variant.price,
            )
        )
    return lines


def _price_lines(ctx: _Context, lines: list[OrderLine]) -> dict[str, Decimal]:
    """Discounts and VAT of a tax-inclusive order; the totals add up to the cent."""
    gross = [line.unit_price * line.quantity for line in lines]
    subtotal = sum(gross, Decimal("0"))
    discount = _order_discount(ctx, subtotal)
    for line, share in zip(lines, _allocate(discount, gross, ctx), strict=True):
        line.discount = share
    for line, amount in zip(lines, gross, strict=True):
        line.tax = _money((amount - line.discount) * VAT_RATE / (1 + VAT_RATE), ctx)
    after_discount = subtotal - discount
    free = after_discount >= Decimal(ctx.spec.free_shipping_from)
    shipping = Decimal("0.00") if free else Decimal(ctx.spec.shipping_fee)
    shipping_tax = _money(shipping * VAT_RATE / (1 + VAT_RATE), ctx)
    return {
        "subtotal": subtotal,
        "discount_total": discount,
        "shipping_total": shipping,
        "tax_total": sum((line.tax for line in lines), shipping_tax),
        "total": after_discount + shipping,
    }


def _local_postcode(rng: random.Random, postcode: str) -> str:
    """Another postcode of the same town, so that addresses spread as they do in a real shop:
    the same French département (75011 → 750xx), the same British outward code (SW1A 1AA →
    SW1A 7QD)."""
    if postcode.isdigit():
        return f"{postcode[:3]}{rng.randint(1, 99):02d}"
    outward = postcode.split()[0]
    letters = "ABDEFGHJLNPQRSTUWXYZ"  # the inward code never uses C, I, K, M, O, V
    return f"{outward} {rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _address(ctx: _Context, customer: Customer) -> dict[str, str]:
    city, postcode = ctx.rng.choice(ctx.spec.cities)
    return {
        "name": customer.full_name,
        "line1": f"{ctx.rng.randint(1, 180)} {ctx.rng.choice(ctx.spec.streets)}",
        "city": city,
        "postcode": _local_postcode(ctx.rng, postcode),
        "country": ctx.spec.country,
    }


def _build_order(ctx: _Context, number: int) -> _Draft:
    rng = ctx.rng
    customer = rng.choice(ctx.customers)
    placed_at = ctx.now - timedelta(seconds=rng.uniform(600, HISTORY_DAYS * 86_400))
    lines = _build_lines(ctx)
    for position, line in enumerate(lines, start=1):
        line.external_id = f"{number}-{position}"
    address = _address(ctx, customer)
    order = Order(
        store=ctx.store,
        external_id=f"demo-{number}",
        number=str(number),
        customer=customer,
        email=customer.email,
        locale=customer.locale,
        currency=ctx.spec.currency,
        placed_at=placed_at,
        paid_at=placed_at + timedelta(seconds=rng.randint(2, 90)),
        financial_status=Order.FinancialStatus.PAID,
        taxes_included=True,
        shipping_address=address,
        shipping_postcode=address["postcode"].replace(" ", "").upper(),
        shipping_country=ctx.spec.country,
        **_price_lines(ctx, lines),
    )
    draft = _Draft(order=order, lines=lines)
    draft.payments = _payments(ctx, order)
    draft.fulfillments = _fulfillments(ctx, order, lines)
    return draft


def _reference(ctx: _Context, prefix: str) -> str:
    return prefix + "".join(ctx.rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=16))


def _payments(ctx: _Context, order: Order) -> list[Payment]:
    """One card payment, or (one order in ten) a gift card topped up by card."""
    card = {"gateway": "stripe", "method": "card"}
    if ctx.rng.random() < 0.15:
        card = {"gateway": "paypal", "method": "paypal"}
    parts = [(card, order.total)]
    if ctx.rng.random() < 0.10 and order.total > 20:
        gift = min(Decimal(ctx.rng.choice(["10.00", "20.00", "25.00", "50.00"])), order.total - 1)
        gift_card = {"gateway": "gift_card", "method": "gift_card"}
        parts = [(gift_card, gift), (card, order.total - gift)]
    return [
        Payment(
            order=order,
            reference=_reference(ctx, "gc_" if kind["method"] == "gift_card" else "ch_"),
            captured=amount,
            created_at=order.paid_at,
            **kind,
        )
        for kind, amount in parts
    ]


def _tracking(ctx: _Context, carrier: str) -> str:
    digits = "".join(ctx.rng.choices("0123456789", k=11))
    if carrier == "Royal Mail":
        return f"RM{digits[:9]}GB"
    if carrier == "Colissimo":
        return f"6A{digits}"
    return f"{carrier[:2].upper()}{digits}"


def _shipment(ctx: _Context, after: datetime, transit_days: float) -> Fulfillment | None:
    """A shipment leaving after `after`; None if it would leave in the future."""
    shipped = after + timedelta(hours=ctx.rng.uniform(6, 48))
    if shipped > ctx.now:
        return None
    delivered = shipped + timedelta(days=transit_days)
    # A few parcels are stuck with the carrier whatever their age.
    stuck = ctx.rng.random() < 0.02
    carrier = ctx.rng.choice(ctx.spec.carriers)
    return Fulfillment(
        carrier=carrier,
        tracking_number=_tracking(ctx, carrier),
        shipped_at=shipped,
        delivered_at=None if stuck or delivered > ctx.now else delivered,
    )


def _fulfillments(
    ctx: _Context, order: Order, lines: list[OrderLine]
) -> list[tuple[Fulfillment, list[tuple[OrderLine, int]]]]:
    """Usually one parcel with everything; sometimes a back-ordered line follows later, or
    never ships."""
    rng = ctx.rng
    first = _shipment(ctx, order.placed_at, rng.uniform(1, 4))
    if first is None:
        return []
    split = len(lines) > 1 and rng.random() < 0.08
    shipped_now = lines[:-1] if split else lines
    shipments = [(first, [(line, line.quantity) for line in shipped_now])]
    if split and rng.random() < 0.6:
        later = _shipment(ctx, first.shipped_at + timedelta(days=3), rng.uniform(1, 4))
        if later is not None:
            shipments.append((later, [(lines[-1], lines[-1].quantity)]))
    for position, (fulfillment, _items) in enumerate(shipments, start=1):
        fulfillment.order = order
        fulfillment.external_id = f"{order.external_id}-f{position}"
    return shipments


@transaction.atomic
def _create_orders(ctx: _Context, offset: int, count: int) -> None:
    drafts = [_build_order(ctx, ORDER_NUMBER_START + offset + i) for i in range(count)]
    Order.objects.bulk_create([draft.order for draft in drafts])
    # Assigning the saved parents again copies their new primary keys into the children.
    for draft in drafts:
        for line in draft.lines:
            line.order = draft.order
        for payment in draft.payments:
            payment.order = draft.order
        for fulfillment, _items in draft.fulfillments:
            fulfillment.order = draft.order
    OrderLine.objects.bulk_create([line for draft in drafts for line in draft.lines])
    Payment.objects.bulk_create([payment for draft in drafts for payment in draft.payments])
    shipments = [item for draft in drafts for item in draft.fulfillments]
    Fulfillment.objects.bulk_create([fulfillment for fulfillment, _items in shipments])
    FulfillmentLine.objects.bulk_create(
        FulfillmentLine(fulfillment=fulfillment, order_line=line, quantity=quantity)
        for fulfillment, items in shipments
        for line, quantity in items
    )
    _collect_candidates(ctx, drafts)


def _collect_candidates(ctx: _Context, drafts: list[_Draft]) -> None:
    for draft in drafts:
        if ctx.rng.random() >= ctx.candidate_rate:
            continue
        delivered = [
            line
            for fulfillment, items in draft.fulfillments
            if fulfillment.delivered_at is not None
            for line, _quantity in items
        ]
        if delivered:
            ctx.candidates.append(_Candidate(order=draft.order, lines=delivered))


# --- Returns and claims ---------------------------------------------------------------------

# The state each demo return is taken to, with how often.
TARGET_STATES = {
    "requested": 10,
    "pending_review": 8,
    "approved": 10,
    "label_issued": 9,
    "in_transit": 9,
    "received": 7,
    "inspected": 6,
    "resolved": 12,
    "closed": 16,
    "rejected": 5,
    "cancelled": 8,
}
APPAREL_REASONS = ["too_small", "too_large", "too_large", "changed_mind", "not_as_described"]
OTHER_REASONS = ["defective", "damaged", "changed_mind", "found_cheaper", "wrong_item"]
COMMENTS = {
    "not_as_described": "The colour is much darker than in the photos.",
    "defective": "Stops charging after a few minutes.",
    "other": "Bought two sizes to compare.",
}


def _line_request(ctx: _Context, line: OrderLine) -> services.LineRequest:
    apparel = line.variant.product.category.startswith(("apparel", "accessories"))
    reason = ctx.rng.choice(APPAREL_REASONS if apparel else OTHER_REASONS)
    return services.LineRequest(
        order_line_id=line.pk,
        quantity=ctx.rng.randint(1, line.quantity),
        reason_code=reason,
        comment=COMMENTS.get(reason, ""),
    )


def _create_returns(ctx: _Context, wanted: int) -> int:
    rng = ctx.rng
    chosen = rng.sample(ctx.candidates, min(wanted, len(ctx.candidates)))
    states, weights = list(TARGET_STATES), list(TARGET_STATES.values())
    methods = [ReturnMethod.DROP_OFF] * 6 + [ReturnMethod.PICKUP, ReturnMethod.MAIL] * 2
    resolutions = [Resolution.REFUND] * 7 + [Resolution.STORE_CREDIT, Resolution.EXCHANGE] * 2
    for number, candidate in enumerate(chosen):
        # Every state once first, so even a small demo shows the whole lifecycle.
        target = states[number] if number < len(states) else rng.choices(states, weights)[0]
        lines = rng.sample(candidate.lines, min(len(candidate.lines), rng.choice([1, 1, 2])))
        return_request = services.create_return(
            order=candidate.order,
            lines=[_line_request(ctx, line) for line in lines],
            method=rng.choice(methods),
            resolution=rng.choice(resolutions),
            locale=candidate.order.locale,
            actor=ACTOR,
        )
        _advance(ctx, return_request, target)
        ctx.candidates.remove(candidate)
    return len(chosen)


def _advance(ctx: _Context, return_request, target: str) -> None:
    """Walk the return through the lifecycle up to `target`, the way staff and carriers would."""
    if target == "requested":
        return
    if target in ("pending_review", "rejected"):
        services.send_to_review(return_request=return_request, actor=ACTOR, reason="high value")
        if target == "rejected":
            services.reject_return(
                return_request=return_request,
                actor=ACTOR,
                reason="The item shows signs of wear.",
            )
        return
    if target == "cancelled":
        services.cancel_return(return_request=return_request, actor=ACTOR, reason="shopper")
        return
    services.approve_return(return_request=return_request, actor=ACTOR)
    steps = ["label_issued", "in_transit", "received", "inspected", "resolved", "closed"]
    for step in steps[: steps.index(target) + 1] if target in steps else []:
        _step(ctx, return_request, step)


def _step(ctx: _Context, return_request, step: str) -> None:
    if step == "label_issued":
        carrier = ctx.rng.choice(ctx.spec.carriers)
        services.record_label(
            return_request=return_request,
            carrier=carrier,
            tracking_number=_tracking(ctx, carrier),
            actor=ACTOR,
        )
    elif step == "in_transit":
        services.mark_in_transit(return_request=return_request, actor=Actor.carrier("demo"))
    elif step == "received":
        receipts = [
            services.LineReceipt(line.pk, line.quantity) for line in return_request.lines.all()
        ]
        services.receive_lines(return_request=return_request, receipts=receipts, actor=ACTOR)
    elif step == "inspected":
        inspections = [
            services.LineInspection(line.pk, line.received_qty, grade="A", disposition="restock")
            for line in return_request.lines.all()
        ]
        services.inspect_lines(return_request=return_request, inspections=inspections, actor=ACTOR)
    elif step == "resolved":
        services.resolve_return(
            return_request=return_request, actor=ACTOR, outcome=return_request.resolution
        )
    elif step == "closed":
        services.close_return(return_request=return_request, actor=ACTOR)


def _create_claims(ctx: _Context) -> int:
    """A damaged parcel (approved for a refund) and a missing item (still open)."""
    made = 0
    for kind, resolution in ((ClaimKind.DAMAGED, ClaimResolution.REFUND), (ClaimKind.MISSING, "")):
        if not ctx.candidates:
            break
        candidate = ctx.candidates.pop()
        line = candidate.lines[0]
        claim = services.create_claim(
            order=candidate.order,
            kind=kind,
            lines=[services.LineRequest(order_line_id=line.pk, quantity=1)],
            description="The box was crushed." if resolution else "One item was not in the box.",
            actor=ACTOR,
        )
        if resolution:
            claims.decide_claim(claim=claim, actor=ACTOR, approve=True, resolution=resolution)
        made += 1
    return made


# --- Staff ----------------------------------------------------------------------------------


def _user(email: str):
    """The demo login, created once; an existing user keeps the password it has."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=email).first()
    if user is None:
        user = user_model.objects.create_user(username=email, email=email, password=DEMO_PASSWORD)
    return user


def ensure_staff(stores: Iterable[Store]) -> None:
    """An owner of every demo store, and a warehouse operator."""
    owner, warehouse = _user(OWNER_EMAIL), _user(WAREHOUSE_EMAIL)
    for store in stores:
        add_member(store=store, user=owner, role=Role.OWNER, actor=ACTOR)
        add_member(store=store, user=warehouse, role=Role.WAREHOUSE, actor=ACTOR)
