"""Returns, their lines, claims, the reason catalogue and the audit trail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Customer, Order, OrderLine, Store
from retour.core.actors import ActorKind
from retour.policy.models import PolicyVersion
from retour.returns.choices import (
    ClaimKind,
    ClaimResolution,
    ClaimStatus,
    LineStatus,
    MessageKind,
    Resolution,
    ReturnMethod,
    ReturnStatus,
)


class ReturnReason(models.Model):
    """A reason from the store's catalogue; sub-reasons point to their parent."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="return_reasons")
    code = models.SlugField(_("code"), max_length=60)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    labels = models.JSONField(_("labels"), help_text=_('Label per language: {"en": …, "fr": …}'))
    merchant_fault = models.BooleanField(
        _("merchant's fault"), default=False, help_text=_("Return shipping is free")
    )
    requires_comment = models.BooleanField(_("comment required"), default=False)
    requires_photo = models.BooleanField(_("photo required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="reason_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "en")[:2]
        return self.labels.get(language) or self.labels.get("en") or self.code


class Return(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="returns")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )
    rma = models.CharField(_("RMA number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    method = models.CharField(_("method"), max_length=20, choices=ReturnMethod.choices)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices)
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )
    locale = models.CharField(_("language"), max_length=10, default="en")
    status_reason = models.TextField(_("reason told to the shopper"), blank=True)
    # The policy's decision when the return was submitted (policy.engine.OrderDecision as JSON,
    # with the rules that fired and the risk signals): kept as decided, never recomputed.
    decision = models.JSONField(_("policy decision"), default=dict, blank=True, editable=False)
    # The decision's risk score (0–100), written with it, so that the staff queue filters on an
    # index rather than on the JSON; None when no rule read the shopper's history.
    risk_score = models.PositiveSmallIntegerField(
        _("risk score"), null=True, blank=True, editable=False
    )
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The staff queue pages by keyset on (sort key, id): each index ends with the id so
            # that ties are ordered inside the index (returns.queue).
            models.Index(
                fields=["store", "status", "-created_at", "-id"], name="return_store_status_id"
            ),
            models.Index(fields=["store", "-created_at", "-id"], name="return_store_created_id"),
            models.Index(
                fields=["store", "status_changed_at", "id"], name="return_store_waiting_id"
            ),
            models.Index(
                fields=["store", "status", "status_changed_at", "id"],
                name="return_store_status_wait_id",
            ),
            # "Risk at least N": a range, so no keyset order; PostgreSQL takes it when the
            # score is rare and sorts the few rows (returns.queue).
            models.Index(fields=["store", "risk_score"], name="return_store_risk"),
            models.Index(fields=["order"], name="return_order"),
            # The receiving station finds a parcel by its tracking number (warehouse.selectors).
            models.Index(fields=["tracking_number"], name="return_tracking_number"),
        ]

    def __str__(self) -> str:
        return self.rma


class ReturnLine(models.Model):
    """One order line in a return. `quantity` is what the shopper announced; what arrived and
    what we accept are recorded separately by the warehouse."""

    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField(_("requested quantity"))
    reason = models.ForeignKey(
        ReturnReason, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    resolution = models.CharField(
        _("requested resolution"), max_length=20, choices=Resolution.choices
    )
    status = models.CharField(
        max_length=20, choices=LineStatus.choices, default=LineStatus.EXPECTED
    )
    received_qty = models.PositiveIntegerField(_("received"), default=0)
    accepted_qty = models.PositiveIntegerField(_("accepted"), default=0)
    damaged_qty = models.PositiveIntegerField(_("damaged"), default=0)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    disposition = models.CharField(_("disposition"), max_length=30, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="return_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(accepted_qty__lte=models.F("received_qty")),
                name="return_line_accepted_within_received",
            ),
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="return_line_unique_order_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class Claim(models.Model):
    """A problem reported where no parcel comes back: damaged, missing or wrong item."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="claims")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="claims")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    number = models.CharField(_("claim number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ClaimKind.choices)
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.OPEN)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=ClaimResolution.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The staff's list of claims pages by keyset on (created_at, id), newest first, with
            # or without a status (returns.claims), like the returns queue.
            models.Index(
                fields=["store", "status", "-created_at", "-id"], name="claim_store_status_id"
            ),
            models.Index(fields=["store", "-created_at", "-id"], name="claim_store_created_id"),
        ]

    def __str__(self) -> str:
        return self.number


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="claim_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="claim_line_quantity_positive"
            ),
        ]


class ReturnEvent(models.Model):
    """The audit trail of a return: every change, who made it, from which state to which."""

    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_label = models.CharField(max_length=200, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A return's next move (the insights' time per stage) and the moves to a status in a
            # period (time to refund): index look-ups instead of sorts and scans of every event.
            models.Index(fields=["return_request", "created_at"], name="return_event_return_time"),
            models.Index(fields=["to_status", "created_at"], name="return_event_status_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_status}→{self.to_status}"


class ReturnMessage(models.Model):
    """A message exchanged with the shopper about a return, or a staff note kept internal."""

    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["return_request", "created_at"], name="return_message")]

    def __str__(self) -> str:
        return f"{self.kind} {self.return_request_id}"


class SavedQueueView(models.Model):
    """A staff member's named set of queue filters (the query string of the returns queue)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_views"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_queue_view_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Withdrawal(models.Model):
    """A shopper's notice of withdrawal from a distance sale (Directive 2011/83/EU art. 11; the
    "withdraw from the contract here" function of art. 11a). `notified_at` is the legal moment:
    the refund is due within 14 days of it (`returns.deadlines`). The goods come back through a
    return, opened afterwards; one notice covers units of the order's lines only once."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="withdrawals")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="withdrawals")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawals"
    )
    number = models.CharField(_("withdrawal number"), max_length=20, unique=True)
    name = models.CharField(_("name of the consumer"), max_length=200)
    email = models.EmailField(_("e-mail address"))
    locale = models.CharField(_("language"), max_length=10, default="en")
    # A token of the confirmation form: submitting the same form twice records one notice.
    idempotency_key = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    notified_at = models.DateTimeField(_("notified at"))

    class Meta:
        ordering = ["notified_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "idempotency_key"], name="withdrawal_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["order", "notified_at"], name="withdrawal_order")]

    def __str__(self) -> str:
        return self.number


class WithdrawalLine(models.Model):
    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="withdrawal_line_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["withdrawal", "order_line"], name="withdrawal_line_unique_order_line"
            ),
        ]
        indexes = [models.Index(fields=["order_line"], name="withdrawal_line_order_line")]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"
