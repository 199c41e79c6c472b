"""The words of the connectors: platforms, what happened to an inbound event, a write-back."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    PRESTASHOP = "prestashop", "PrestaShop"


class EventStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    """Recorded raw, waiting for the job that applies it."""
    APPLIED = "applied", _("Applied")
    """The order was created or updated from it."""
    IGNORED = "ignored", _("Ignored")
    """Older than what we have (out of order) or not about an order: nothing changed."""
    FAILED = "failed", _("Failed")
    """Could not be applied; the error is kept and the raw event can be replayed."""


class WriteBackKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    RESTOCK = "restock", _("Restock")
    STORE_CREDIT = "store_credit", _("Store credit")


class WriteBackStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    """Waiting for its job (first try or a retry after a failure)."""
    SENT = "sent", _("Sent")
    """The platform accepted it."""
    INCLUDED = "included", _("Included in the refund")
    """A restock the refund's write-back already carried (restock with the refunded lines)."""
    SKIPPED = "skipped", _("Skipped")
    """The platform has nothing to take it (WooCommerce core has no store credit): not sent."""
    FAILED = "failed", _("Failed")
    """Given up after the retries, or refused by the platform: shown on the return; retryable."""
