"""Writes to the shop's mirrored data. Each function is one transaction with its audit event."""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.inputs import OrderIn
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
)
from retour.core.actors import Actor
from retour.core.errors import Conflict


@dataclass(frozen=True)
class UpsertResult:
    order: Order
    created: bool
    changed: bool


def _postcode(address: dict[str, str]) -> str:
    return (address.get("postcode") or address.get("zip") or "").replace(" ", "").upper()


def _customer(store: Store, data: OrderIn) -> Customer:
    details = data.customer
    email = (details.email if details else data.email).lower()
    defaults = details.model_dump(exclude={"email"}) if details else {}
    customer, _created = Customer.objects.get_or_create(store=store, email=email, defaults=defaults)
    return customer


def _variants_by_sku(store: Store, data: OrderIn) -> dict[str, Variant]:
    """The variants the lines refer to; a SKU the shop never sent us becomes a product of its
    own, so that policy rules on category and price still apply to it."""
    skus = {line.sku for line in data.lines}
    variants = {v.sku: v for v in Variant.objects.filter(store=store, sku__in=skus)}
    new_lines = [line for line in data.lines if line.sku not in variants]
    # Variants of one product share it (its external id is unique in the store).
    product_ids = {line.product_external_id for line in new_lines if line.product_external_id}
    products = {
        p.external_id: p for p in Product.objects.filter(store=store, external_id__in=product_ids)
    }
    for line in new_lines:
        if line.sku in variants:
            continue
        product = products.get(line.product_external_id) or Product.objects.create(
            store=store,
            external_id=line.product_external_id,
            title=line.title,
            category=line.category,
        )
        if line.product_external_id:
            products[line.product_external_id] = product
        variants[line.sku] = Variant.objects.create(
            store=store, product=product, sku=line.sku, options=line.options, price=line.unit_price
        )
    return variants


def _order_fields(data: OrderIn, customer: Customer) -> dict:
    return {
        "number": data.number,
        "email": data.email.lower(),
        "customer": customer,
        "currency": data.currency,
        "locale": data.locale,
        "placed_at": data.placed_at,
        "paid_at": data.paid_at,
        "platform_updated_at": data.updated_at,
        "taxes_included": data.taxes_included,
        "subtotal": data.subtotal,
        "discount_total": data.discount_total,
        "shipping_total": data.shipping_total,
        "tax_total": data.tax_total,
        "total": data.total,
        "shipping_address": data.shipping_address,
        "shipping_postcode": _postcode(data.shipping_address),
        "shipping_country": data.shipping_address.get("country", "").upper()[:2],
    }


def _sync_lines(order: Order, data: OrderIn, variants: dict[str, Variant]) -> dict[str, OrderLine]:
    existing = {line.external_id: line for line in order.lines.all()}
    incoming = {line.external_id for line in data.lines}
    gone = [line for key, line in existing.items() if key not in incoming]
    if gone:
        if any(line.return_lines.exists() or line.claim_lines.exists() for line in gone):
            raise Conflict(_("An order line that has a return or claim cannot be removed."))
        OrderLine.objects.filter(pk__in=[line.pk for line in gone]).delete()
    lines = {}
    for item in data.lines:
        line = existing.get(item.external_id) or OrderLine(
            order=order, external_id=item.external_id
        )
        line.variant = variants[item.sku]
        line.sku, line.title, line.options = item.sku, item.title, item.options
        line.quantity, line.unit_price = item.quantity, item.unit_price
        line.discount, line.tax = item.discount, item.tax
        lines[item.external_id] = line
    OrderLine.objects.bulk_create([line for line in lines.values() if line.pk is None])
    OrderLine.objects.bulk_update(
        [line for line in lines.values() if line.pk is not None],
        ["variant", "sku", "title", "options", "quantity", "unit_price", "discount", "tax"],
    )
    return lines


def _sync_payments(order: Order, data: OrderIn) -> None:
    existing = {payment.reference: payment for payment in order.payments.all()}
    for item in data.payments:
        payment = existing.get(item.reference) or Payment(order=order, reference=item.reference)
        for field, value in item.model_dump(exclude={"reference"}).items():
            setattr(payment, field, value)
        payment.save()


def _sync_fulfillments(order: Order, data: OrderIn, lines: dict[str, OrderLine]) -> None:
    """Add or update shipments. A shipment the platform no longer lists is kept: returns rely on
    what was delivered, and a shipment record is never deleted."""
    existing = {f.external_id: f for f in order.fulfillments.all()}
    for item in data.fulfillments:
        fulfillment = existing.get(item.external_id) or Fulfillment(
            order=order, external_id=item.external_id
        )
        fulfillment.carrier, fulfillment.tracking_number = item.carrier, item.tracking_number
        fulfillment.shipped_at, fulfillment.delivered_at = item.shipped_at, item.delivered_at
        fulfillment.save()
        for shipped in item.lines:
            FulfillmentLine.objects.update_or_create(
                fulfillment=fulfillment,
                order_line=lines[shipped.line_external_id],
                defaults={"quantity": shipped.quantity},
            )


def _is_stale(order: Order, data: OrderIn) -> bool:
    return bool(
        order.platform_updated_at
        and data.updated_at
        and data.updated_at < order.platform_updated_at
    )


@transaction.atomic
def upsert_order(*, store: Store, external_id: str, data: OrderIn, actor: Actor) -> UpsertResult:
    """Create or update the order the platform knows as `external_id`. Idempotent: the same
    payload twice leaves one order, unchanged; an update older than the one we have is ignored."""
    payload_hash = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
    order = Order.objects.select_for_update().filter(store=store, external_id=external_id).first()
    if order and (order.payload_hash == payload_hash or _is_stale(order, data)):
        return UpsertResult(order=order, created=False, changed=False)
    if (
        Order.objects.filter(store=store, number=data.number)
        .exclude(external_id=external_id)
        .exists()
    ):
        raise Conflict(
            _("Order number %(number)s already belongs to another order.") % {"number": data.number}
        )
    created = order is None
    customer = _customer(store, data)
    fields = _order_fields(data, customer) | {"payload_hash": payload_hash}
    if created:
        order = Order.objects.create(store=store, external_id=external_id, **fields)
    else:
        for field, value in fields.items():
            setattr(order, field, value)
        order.save()
    lines = _sync_lines(order, data, _variants_by_sku(store, data))
    _sync_payments(order, data)
    _sync_fulfillments(order, data, lines)
    record_audit(
        store=store,
        actor=actor,
        verb="order.created" if created else "order.updated",
        obj=order,
        data={"external_id": external_id, "number": data.number},
    )
    return UpsertResult(order=order, created=created, changed=True)


@transaction.atomic
def create_store(
    *,
    name: str,
    slug: str,
    currency: str,
    country: str,
    default_locale: str = "en",
    locales: list[str] | None = None,
    timezone: str = "UTC",
    actor: Actor,
    **extra,
) -> Store:
    store = Store.objects.create(
        name=name,
        slug=slug,
        currency=currency.upper(),
        country=country.upper(),
        default_locale=default_locale,
        locales=locales or [default_locale],
        timezone=timezone,
        **extra,
    )
    record_audit(store=store, actor=actor, verb="store.created", obj=store, data={"slug": slug})
    return store
