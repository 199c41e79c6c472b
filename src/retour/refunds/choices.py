"""The values refunds, store credit and exchanges can take, each with what it means."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RefundStatus(models.TextChoices):
    """Where a refund stands.

    awaiting_approval → requested → processing → succeeded | failed;  failed → processing (retry);
    awaiting_approval | requested | failed → cancelled (releases what the refund held).
    """

    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting a second approval")  # four eyes
    REQUESTED = "requested", _("Requested")  # amounts reserved on the payments; not yet sent
    PROCESSING = "processing", _("Processing")  # sent (or being sent) to the gateway
    SUCCEEDED = "succeeded", _("Succeeded")  # every part confirmed by its gateway
    FAILED = "failed", _("Failed")  # a gateway refused, or retries ran out: finance must act
    CANCELLED = "cancelled", _("Cancelled")  # withdrawn before any money moved


# A refund in these states may still move money: at most one per return at a time.
IN_FLIGHT_STATUSES = frozenset(
    {RefundStatus.AWAITING_APPROVAL, RefundStatus.REQUESTED, RefundStatus.PROCESSING}
)


class Destination(models.TextChoices):
    """Where the money of one part of a refund goes."""

    ORIGINAL_PAYMENT = "original_payment", _("Original payment")
    STORE_CREDIT = "store_credit", _("Store credit")
    EXCHANGE = "exchange", _("Exchange")


class AllocationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # counts against the payment until it settles
    SUCCEEDED = "succeeded", _("Succeeded")  # added to Payment.refunded
    FAILED = "failed", _("Failed")  # released; can be retried with a new idempotency key


class Gateway(models.TextChoices):
    MANUAL = "manual", _("Manual (finance records the reference)")
    STRIPE = "stripe", _("Stripe")
    # The shop's platform refunds its own payment (Shopify's refundCreate with transactions):
    # the refund waits until the platform connector's write-back records the outcome (ADR 0008).
    PLATFORM = "platform", _("The shop's platform (e.g. Shopify refunds its payment)")


# Gateways Retour does not call itself: the part waits for someone else to say it is done
# (finance with the reference of its transfer, or the platform's connector).
WAITING_GATEWAYS = frozenset({Gateway.MANUAL, Gateway.PLATFORM})


class RefundTrigger(models.TextChoices):
    """When a store's refunds start, unless a rule decides otherwise for a return (a returnless
    return is refunded at approval). The refund job starts the refund when the return first
    reaches the trigger's state; with `manual`, finance starts every refund."""

    MANUAL = "manual", _("When finance starts it")
    APPROVAL = "approval", _("At approval (returnless, trusted shoppers)")
    FIRST_SCAN = "first_scan", _("At the first carrier scan")
    WAREHOUSE_DELIVERY = "warehouse_delivery", _("At delivery to the warehouse")
    INSPECTION = "inspection", _("After inspection")


class ShippingRule(models.TextChoices):
    """When the original shipping is refunded (never more than once per order)."""

    NEVER = "never", _("Never")
    WHOLE_ORDER = "whole_order", _("When the whole order is returned")
    MERCHANT_FAULT = "merchant_fault", _("When the merchant is at fault")
    WHOLE_ORDER_OR_MERCHANT_FAULT = (
        "whole_order_or_merchant_fault",
        _("Whole order returned, or merchant at fault"),
    )


class CreditEntryKind(models.TextChoices):
    CREDIT = "credit", _("Credit")  # money put on the account (a refund, a goodwill gesture)
    BONUS = "bonus", _("Bonus")  # the extra a store gives for choosing store credit
    DEBIT = "debit", _("Debit")  # spent at the shop
    EXPIRY = "expiry", _("Expiry")  # what was left of an expired credit


class ExchangeStatus(models.TextChoices):
    RESERVED = "reserved", _("Stock reserved")  # waiting for the store's trigger
    # The replacement costs more: waiting for the shopper to pay the difference (payment link).
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for the price difference")
    ORDERED = "ordered", _("Replacement ordered")  # the replacement order exists
    RELEASED = "released", _("Released")  # cancelled: the stock went back
