"""Refunds, their parts, store credit and exchanges.

Invariants kept here by constraints (the services check the rest under row locks):
- at most one refund of a return is in flight at a time (awaiting approval, requested, processing);
- the original shipping of an order is in at most one refund that was not cancelled;
- a refund's idempotency key, and each part's, is unique;
- store credit is issued at most once per refund; a balance is never negative.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from retour.commerce.fields import money_field
from retour.commerce.models import Customer, Order, OrderLine, Payment, Store, Variant, Warehouse
from retour.core.actors import ActorKind
from retour.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from retour.refunds.choices import (
    IN_FLIGHT_STATUSES,
    AllocationStatus,
    CreditEntryKind,
    Destination,
    ExchangeStatus,
    Gateway,
    RefundStatus,
    RefundTrigger,
    ShippingRule,
)
from retour.refunds.crypto import decrypt_secret, encrypt_secret
from retour.returns.models import Claim, ClaimLine, Return, ReturnLine

MONEY_FIELD = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)


def money_plus(field: str, amount: Decimal) -> Round:
    """`field + amount` computed by the database (an atomic update, never read-modify-write in
    Python), rounded to the stored 4 places: SQLite does decimal arithmetic in binary floating
    point, and 0.1 + 0.2 must not come back as 0.30000000000000004 and trip a check constraint.
    On PostgreSQL (numeric) the rounding changes nothing."""
    return Round(F(field) + Value(amount), MONEY_DECIMAL_PLACES, output_field=MONEY_FIELD)


def _rate_field(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=4, default=0, **kwargs)


def _encrypted(column: str) -> property:
    """A secret kept encrypted in `column`: reading it decrypts, assigning it encrypts (so
    `RefundSettings(stripe_secret_key=…)` works too); the clear value is never stored."""

    def read(settings: "RefundSettings") -> str:
        return decrypt_secret(getattr(settings, column))

    def write(settings: "RefundSettings", value: str) -> None:
        setattr(settings, column, encrypt_secret(value))

    return property(read, write)


class RefundSettings(models.Model):
    """How a store refunds. A store without a row gets the defaults (`RefundSettings.for_store`)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="refund_settings")
    gateway = models.CharField(
        _("gateway"), max_length=20, choices=Gateway.choices, default=Gateway.MANUAL
    )
    # Kept in the database so that each store has its own account, encrypted (`refunds.crypto`):
    # the columns hold Fernet tokens, never a key. Read and set them through `stripe_secret_key`
    # and `stripe_webhook_secret` below; no page or API answer shows them back. Use a restricted
    # key (rk_…) with the refunds and Checkout permissions only.
    stripe_secret_key_encrypted = models.TextField(blank=True, editable=False)
    stripe_webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    stripe_api_base = models.URLField(_("Stripe API address"), default="https://api.stripe.com")
    card_delay_days = models.PositiveSmallIntegerField(
        _("days for a card refund to arrive"), default=5
    )
    four_eyes_threshold = money_field(
        _("second approval above"),
        null=True,
        blank=True,
        default=None,
        help_text=_("Refunds above this amount need a second finance approval; empty: never."),
    )
    gift_card_first = models.BooleanField(_("refund gift cards first"), default=False)
    refund_trigger = models.CharField(
        _("refund starts"),
        max_length=20,
        choices=RefundTrigger.choices,
        default=RefundTrigger.INSPECTION,
    )
    shipping_rule = models.CharField(
        _("refund the original shipping"),
        max_length=40,
        choices=ShippingRule.choices,
        default=ShippingRule.WHOLE_ORDER_OR_MERCHANT_FAULT,
    )
    restocking_fee_rate = _rate_field(_("restocking fee (share of the items)"))
    return_shipping_fee = money_field(_("return shipping fee"))
    store_credit_bonus_rate = _rate_field(_("store-credit bonus (share)"))
    store_credit_expiry_days = models.PositiveIntegerField(
        _("store credit expires after (days)"), null=True, blank=True
    )
    max_tries = models.PositiveSmallIntegerField(_("gateway tries before alerting"), default=5)

    class Meta:
        verbose_name = _("refund settings")
        verbose_name_plural = _("refund settings")

    def __str__(self) -> str:
        return f"refund settings of {self.store}"

    stripe_secret_key = _encrypted("stripe_secret_key_encrypted")
    stripe_webhook_secret = _encrypted("stripe_webhook_secret_encrypted")

    def has_secret(self, name: str) -> bool:
        """Whether the secret `name` is set, without decrypting it."""
        return bool(getattr(self, f"{name}_encrypted"))

    @classmethod
    def for_store(cls, store_id: int) -> "RefundSettings":
        found = cls.objects.filter(store_id=store_id).first()
        return found or cls(store_id=store_id)


class Refund(models.Model):
    """Money given back for some units of a return — or of an approved claim, where nothing comes
    back — split over one or more destinations. Exactly one of `return_request` and `claim` is
    set; both go through the same pipeline (request, process, record the outcome)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="refunds")
    return_request = models.ForeignKey(
        Return, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    sequence = models.PositiveIntegerField(help_text=_("1 for the return's first refund, …"))
    idempotency_key = models.CharField(max_length=80, unique=True)
    # The caller's `Idempotency-Key` (API): the same key gives back this refund, never another.
    request_key = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = money_field(_("amount"))
    bonus = money_field(_("store-credit bonus"))
    includes_shipping = models.BooleanField(default=False)
    breakdown = models.JSONField(_("breakdown"), default=dict)
    estimate = models.JSONField(_("estimate"), default=dict, blank=True)
    differences = models.JSONField(default=list, blank=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    override_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    expected_by = models.DateField(_("expected arrival"), null=True, blank=True)
    due_by = models.DateTimeField(_("legal deadline"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "sequence"], name="refund_unique_sequence"
            ),
            models.UniqueConstraint(
                fields=["store", "request_key"],
                condition=~Q(request_key=""),
                name="refund_unique_request_key",
            ),
            models.UniqueConstraint(
                fields=["return_request"],
                condition=Q(status__in=sorted(IN_FLIGHT_STATUSES)),
                name="refund_one_in_flight_per_return",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(includes_shipping=True) & ~Q(status=RefundStatus.CANCELLED),
                name="refund_shipping_once_per_order",
            ),
            # A claim is refunded once: its refund is retried or cancelled, never doubled.
            models.UniqueConstraint(
                fields=["claim"],
                condition=~Q(status=RefundStatus.CANCELLED),
                name="refund_once_per_claim",
            ),
            models.CheckConstraint(
                condition=Q(return_request__isnull=False, claim__isnull=True)
                | Q(return_request__isnull=True, claim__isnull=False),
                name="refund_of_return_or_claim",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_positive"),
        ]
        # The refunds of a period, for the insights' costs.
        indexes = [models.Index(fields=["store", "created_at"], name="refund_store_created")]

    def __str__(self) -> str:
        return self.reference


class RefundLine(models.Model):
    """Units of one order line this refund pays for: of a return line, or of a claim (no return
    line then). Summed per order line, they are what can no longer be refunded."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    amount = money_field(_("amount"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["refund", "return_line"], name="refund_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="refund_line_quantity"),
        ]


class RefundAllocation(models.Model):
    """The part of a refund taken from one payment and sent to one destination: back to that
    payment (through its gateway), or to store credit."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="allocations")
    destination = models.CharField(max_length=20, choices=Destination.choices)
    # Every part comes out of a payment, whatever its destination: money turned into store
    # credit or an exchange can no longer be refunded to the card it came from.
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("amount"))
    status = models.CharField(
        max_length=20, choices=AllocationStatus.choices, default=AllocationStatus.PENDING
    )
    attempt = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=100, unique=True)
    gateway = models.CharField(max_length=20, blank=True)
    gateway_reference = models.CharField(max_length=200, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_allocation_positive"),
        ]


class StoreCreditAccount(models.Model):
    """A shopper's store credit at one store, in one currency. `balance` is the sum of the
    entries, kept by F() updates under the row lock; the database refuses a negative balance."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="credit_accounts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_accounts")
    currency = models.CharField(_("currency"), max_length=3)
    code = models.CharField(_("code"), max_length=24, unique=True)
    balance = money_field(_("balance"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "customer", "currency"], name="credit_account_unique"
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="credit_balance_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class StoreCreditEntry(models.Model):
    """One line of the ledger, never deleted. Credits and bonuses carry what is left of them
    (`remaining`), spent first-expiring-first, so that an expiry removes only the unspent part."""

    account = models.ForeignKey(
        StoreCreditAccount, on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(max_length=10, choices=CreditEntryKind.choices)
    amount = money_field(_("amount"), help_text=_("Positive for credits, negative for debits"))
    remaining = money_field(_("remaining"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entries"
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund", "kind"],
                condition=Q(refund__isnull=False),
                name="credit_once_per_refund",
            ),
            models.UniqueConstraint(
                fields=["account", "reference"],
                condition=Q(kind=CreditEntryKind.DEBIT) & ~Q(reference=""),
                name="credit_debit_once_per_reference",
            ),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount"))
                | Q(remaining=0, amount__lte=0),
                name="credit_remaining_within_amount",
            ),
        ]


class Exchange(models.Model):
    """A returned unit swapped for another variant, with the new stock reserved at request — or
    the replacement of a claim's units (same variant, nothing comes back, no money): exactly one
    of `return_line` and `claim_line` is set."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="exchanges")
    return_request = models.ForeignKey(
        Return, on_delete=models.PROTECT, null=True, blank=True, related_name="exchanges"
    )
    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim_line = models.ForeignKey(
        ClaimLine, on_delete=models.PROTECT, null=True, blank=True, related_name="replacements"
    )
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    returned_value = money_field(_("value of the returned units"))
    new_value = money_field(_("price of the replacement"))
    price_difference = money_field(
        _("price difference"), help_text=_("Positive: the shopper pays; negative: refunded")
    )
    payment_link = models.URLField(_("payment link"), max_length=500, blank=True)
    # The gateway's payment page for the difference (a Stripe Checkout Session `cs_…`).
    payment_session = models.CharField(max_length=200, blank=True, db_index=True)
    payment_expires_at = models.DateTimeField(_("pay by"), null=True, blank=True)
    # The difference once paid: how much, through which gateway, its reference there (Stripe's
    # PaymentIntent `pi_…`, else the session); it becomes the replacement order's Payment.
    paid_amount = money_field(_("difference paid"), null=True, blank=True, default=None)
    paid_gateway = models.CharField(max_length=20, blank=True)
    paid_reference = models.CharField(max_length=200, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ExchangeStatus.choices, default=ExchangeStatus.RESERVED
    )
    instant = models.BooleanField(_("instant exchange"), default=False)
    # The caller's `Idempotency-Key` (API): the same key gives back the exchanges it made.
    request_key = models.CharField(max_length=100, blank=True)
    return_due_by = models.DateTimeField(_("return due by"), null=True, blank=True)
    replacement_order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["return_line"],
                condition=~Q(status=ExchangeStatus.RELEASED),
                name="exchange_one_live_per_line",
            ),
            models.UniqueConstraint(
                fields=["claim_line"],
                condition=~Q(status=ExchangeStatus.RELEASED),
                name="exchange_one_live_per_claim_line",
            ),
            models.CheckConstraint(
                condition=Q(
                    return_line__isnull=False, return_request__isnull=False, claim_line=None
                )
                | Q(return_line=None, return_request=None, claim_line__isnull=False),
                name="exchange_of_return_or_claim",
            ),
            models.UniqueConstraint(
                fields=["store", "request_key", "return_line"],
                condition=~Q(request_key=""),
                name="exchange_unique_request_key",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="exchange_quantity"),
        ]
