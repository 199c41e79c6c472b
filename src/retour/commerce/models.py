"""The shop's data that returns refer to, mirrored from the shop's platform.

Amounts are Decimals in the currency of their order (or store); never floats.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retour.commerce.fields import money_field
from retour.core.actors import ActorKind


class Store(models.Model):
    """A shop: the tenant. Everything else belongs to exactly one store."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    default_locale = models.CharField(_("default language"), max_length=10, default="en")
    locales = models.JSONField(_("languages"), default=list, help_text=_('e.g. ["fr", "en"]'))
    currency = models.CharField(_("currency"), max_length=3)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    country = models.CharField(_("country"), max_length=2)
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    branding = models.JSONField(
        _("branding"), default=dict, blank=True, help_text=_("logo_url, colours and texts")
    )
    support_email = models.EmailField(_("support e-mail"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    # No index of its own: `customer_unique_email` (store, email) serves every store filter.
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="customers", db_index=False
    )
    external_id = models.CharField(max_length=100, blank=True)
    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    locale = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "email"], name="customer_unique_email"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    external_id = models.CharField(max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=300)
    category = models.CharField(
        _("category"), max_length=120, blank=True, db_index=True, help_text=_("e.g. apparel/shoes")
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    final_sale = models.BooleanField(_("final sale"), default=False)
    image_url = models.URLField(_("image"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~Q(external_id=""),
                name="product_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="variants")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    external_id = models.CharField(max_length=100, blank=True)
    sku = models.CharField(_("SKU"), max_length=100)
    barcode = models.CharField(_("barcode (EAN/UPC)"), max_length=64, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    price = money_field(_("price"))
    weight_grams = models.PositiveIntegerField(_("weight (g)"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "sku"], name="variant_unique_sku"),
        ]

    def __str__(self) -> str:
        return self.sku


class Order(models.Model):
    class FinancialStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    # No index of its own: the unique (store, number) and the indexes below lead with it.
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="orders", db_index=False
    )
    external_id = models.CharField(max_length=100, blank=True)
    number = models.CharField(_("order number"), max_length=64)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    email = models.EmailField(_("e-mail"))
    locale = models.CharField(_("language"), max_length=10, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    placed_at = models.DateTimeField(_("placed"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    financial_status = models.CharField(
        max_length=20, choices=FinancialStatus.choices, default=FinancialStatus.PAID
    )
    taxes_included = models.BooleanField(_("prices include tax"), default=True)
    subtotal = money_field(_("subtotal"))
    discount_total = money_field(_("order discounts"))
    shipping_total = money_field(_("shipping"))
    tax_total = money_field(_("taxes"))
    total = money_field(_("total"))
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    shipping_postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    shipping_country = models.CharField(_("country"), max_length=2, blank=True)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_unique_number"),
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=~Q(external_id=""),
                name="order_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "-placed_at"], name="order_store_placed"),
            # The shopper's history (risk signals) and look-ups by e-mail or address.
            models.Index(fields=["store", "email", "-placed_at"], name="order_store_email"),
            models.Index(fields=["store", "shipping_postcode"], name="order_store_postcode"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    external_id = models.CharField(max_length=100, blank=True)
    variant = models.ForeignKey(
        Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=100)
    title = models.CharField(_("title"), max_length=300)
    options = models.JSONField(_("options"), default=dict, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = money_field(_("unit price"))
    discount = money_field(_("discount"), help_text=_("Discounts allocated to the whole line"))
    tax = money_field(_("tax"), help_text=_("Tax on the whole line"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def returnable_qty(self) -> int:
        """Units that can still be returned: delivered − returned − claimed. Needs the line to
        come from `returns.selectors.order_lines_with_quantities`, which annotates those three."""
        return max(self.delivered_qty - self.returned_qty - self.claimed_qty, 0)


class Payment(models.Model):
    """Money captured for an order; an order may have several (gift card + card)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=50)
    method = models.CharField(_("method"), max_length=30, default="card")
    reference = models.CharField(_("reference"), max_length=200)
    captured = money_field(_("captured"))
    refunded = money_field(_("refunded"))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded__lte=models.F("captured")) & Q(refunded__gte=0),
                name="payment_refund_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.reference}"


class Fulfillment(models.Model):
    """A shipment to the shopper. Returns never delete or rewrite it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillments")
    external_id = models.CharField(max_length=100, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.tracking_number or f"fulfillment {self.pk}"


class FulfillmentLine(models.Model):
    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="fulfillment_lines"
    )
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fulfillment", "order_line"], name="fulfillment_line_unique"
            ),
        ]


class Warehouse(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="warehouses")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    address = models.JSONField(_("address"), default=dict)
    country = models.CharField(_("country"), max_length=2)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="warehouse_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """Current quantity per warehouse and variant; kept equal to the sum of its movements."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "variant"], name="stock_level_unique"),
        ]


class StockMovement(models.Model):
    """The stock ledger: one row per change, never edited."""

    class Reason(models.TextChoices):
        SYNC = "sync", _("Synchronised from the shop")
        RESTOCK = "restock", _("Restocked from a return")
        RESERVATION = "reservation", _("Reserved for an exchange")
        ADJUSTMENT = "adjustment", _("Manual adjustment")

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class AuditEvent(models.Model):
    """Who changed what in a store, when. Written in the same transaction as the change."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="audit_events")
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_label = models.CharField(max_length=200, blank=True)
    verb = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "object_type", "object_id"])]
