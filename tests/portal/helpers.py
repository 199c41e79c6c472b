"""Helpers for the portal's tests: a delivered order with pictures and in-stock sizes, photos."""

import io
from decimal import Decimal

from PIL import Image

from retour.commerce.models import Product, StockLevel, Variant
from tests.factories import OrderFactory, OrderLineFactory, VariantFactory, WarehouseFactory

PASSWORD_FREE_EMAIL = "ada@example.com"


def sized_product(store, *, title="Linen shirt", category="apparel/shirts", key="1"):
    """A product in sizes S, M, L, each with stock in the store's warehouse."""
    warehouse = store.warehouses.first() or WarehouseFactory(store=store)
    product = Product.objects.create(
        store=store,
        external_id=f"p-{key}",
        title=title,
        category=category,
        image_url="https://cdn.example.com/shirt.jpg",
    )
    variants = {}
    for size in ("S", "M", "L"):
        variant = Variant.objects.create(
            store=store,
            product=product,
            sku=f"SHIRT-{key}-{size}",
            title=size,
            options={"size": size},
            price=Decimal("25.00"),
        )
        StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=5)
        variants[size] = variant
    return product, variants


def shopper_order(store, *, lines=1, email=PASSWORD_FREE_EMAIL, number="1042", **kwargs):
    """A delivered order of `lines` lines, the first being a shirt in size M with stock in S/L."""
    _product, variants = sized_product(store, key=number)
    order = OrderFactory(
        store=store,
        number=number,
        customer__email=email,
        lines=[1],
        lines__variant=variants["M"],
        lines__title="Linen shirt",
        lines__options={"size": "M"},
        **kwargs,
    )
    for index in range(lines - 1):
        line = OrderLineFactory(
            order=order, title=f"Item {index}", variant=VariantFactory(store=store)
        )
        fulfillment = order.fulfillments.first()
        if fulfillment is not None:
            fulfillment.lines.create(order_line=line, quantity=line.quantity)
    total = sum(line.unit_price * line.quantity for line in order.lines.all())
    type(order).objects.filter(pk=order.pk).update(subtotal=total, total=total)
    order.payments.update(captured=total)
    order.refresh_from_db()
    return order


def image_bytes(fmt="JPEG", size=(64, 48), exif_gps=False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps = exif.get_ifd(0x8825)  # GPSInfo
        gps[1], gps[2] = "N", (48.0, 51.0, 0.0)
        kwargs["exif"] = exif
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()
