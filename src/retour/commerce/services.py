"""Writes to the shop's mirrored data. Each function is one transaction with its audit event."""

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.inputs import OrderIn
from retour.commerce.logo import clean_logo
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
from retour.core import colours
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest


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


def order_fields(data: OrderIn, customer: Customer | None) -> dict[str, Any]:
    """An order's own columns (not its lines) as an upsert writes them from `data`."""
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
    fields = order_fields(data, customer) | {"payload_hash": payload_hash}
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


BRANDING_LANGUAGES = ("en", "fr")
BRANDING_TEXTS = ("welcome", "packing")
MAX_BRANDING_TEXT = 1000
DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class Branding:
    """What the portal shows of a store: colours as #hex, texts per language, the domain the
    shop points at Retour, and a new logo (raw upload bytes; None keeps the current one)."""

    primary_color: str
    text_color: str = ""
    texts: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    domain: str = ""
    logo: bytes | None = None
    remove_logo: bool = False


@dataclass(frozen=True)
class BrandingSaved:
    store: Store
    warnings: list[str]


def _check_colours(branding: Branding) -> list[str]:
    """Refuse a text colour that does not reach WCAG AA on the brand colour; warn when the brand
    colour is too light for links on white (the portal then uses a dark default for links)."""
    for name, value in (
        ("primary_color", branding.primary_color),
        ("text_color", branding.text_color),
    ):
        if value and not colours.HEX_COLOUR.match(value):
            raise InvalidRequest(
                _("“%(value)s” is not a colour like #1e293b.") % {"value": value}, field=name
            )
    if not branding.primary_color:
        raise InvalidRequest(_("Choose a brand colour."), field="primary_color")
    if branding.text_color:
        ratio = colours.contrast(branding.primary_color, branding.text_color)
        if ratio < colours.AA_TEXT:
            raise InvalidRequest(
                _(
                    "Text in %(text)s on %(brand)s has a contrast of %(ratio).1f:1, below the "
                    "4.5:1 that WCAG AA asks for. Try %(better)s."
                )
                % {
                    "text": branding.text_color,
                    "brand": branding.primary_color,
                    "ratio": ratio,
                    "better": colours.readable_on(branding.primary_color),
                },
                field="text_color",
            )
    if colours.contrast(branding.primary_color, colours.WHITE) < colours.AA_TEXT:
        return [
            _(
                "%(brand)s is too light for links on a white page (below 4.5:1): the portal "
                "shows links in a dark colour instead."
            )
            % {"brand": branding.primary_color}
        ]
    return []


def _check_texts(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for language in BRANDING_LANGUAGES:
        given = texts.get(language) or {}
        for key in BRANDING_TEXTS:
            value = str(given.get(key, "")).strip()
            if len(value) > MAX_BRANDING_TEXT:
                raise InvalidRequest(
                    _("A text may have at most %(max)d characters.") % {"max": MAX_BRANDING_TEXT},
                    field=f"{key}_{language}",
                )
            if value:
                cleaned.setdefault(language, {})[key] = value
    return cleaned


def _check_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    if domain and not DOMAIN.match(domain):
        raise InvalidRequest(
            _("“%(domain)s” is not a domain name like returns.example.com.") % {"domain": domain},
            field="domain",
        )
    return domain


def _store_logo(store: Store, data: bytes) -> str:
    """Keep the cleaned logo under a name derived from its content (so it can be cached for
    ever) and return that name. Written before the transaction: a rolled-back change leaves an
    unused file, never a store pointing at a missing one."""
    png = clean_logo(data)
    name = f"branding/{store.slug}/logo-{hashlib.sha256(png).hexdigest()[:16]}.png"
    storage = storages["default"]
    if not storage.exists(name):
        storage.save(name, ContentFile(png))
    return name


def update_branding(*, store: Store, branding: Branding, actor: Actor) -> BrandingSaved:
    """Check and save what the portal shows of the store; the warnings do not stop the change."""
    warnings = _check_colours(branding)
    texts = _check_texts(branding.texts)
    domain = _check_domain(branding.domain)
    logo = _store_logo(store, branding.logo) if branding.logo else None
    with transaction.atomic():
        locked = Store.objects.select_for_update().get(pk=store.pk)
        before = dict(locked.branding or {})
        after = {
            **before,
            "primary_color": branding.primary_color.lower(),
            "text_color": branding.text_color.lower(),
            "texts": texts,
            "domain": domain,
        }
        if logo:
            after["logo"] = logo
        elif branding.remove_logo:
            after.pop("logo", None)
            after.pop("logo_url", None)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        locked.branding = after
        locked.save(update_fields=["branding"])
        record_audit(
            store=locked,
            actor=actor,
            verb="branding.updated",
            obj=locked,
            data={"changed": changed},
        )
    return BrandingSaved(store=locked, warnings=warnings)
