"""Receiving, inspection per unit and disposition, and each store's grading and rules as data."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from retour.commerce.fields import money_field
from retour.commerce.models import Store, Variant, Warehouse
from retour.returns.models import Return, ReturnLine
from retour.warehouse.choices import DiscrepancyKind, Disposition, EnterpriseSize, Outcome

_SHARE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def _label(labels: dict, fallback: str, language: str | None = None) -> str:
    language = (language or get_language() or "en")[:2]
    return labels.get(language) or labels.get("en") or fallback


class WarehouseSettings(models.Model):
    """A store's receiving settings. A store without a row gets the defaults of the fields."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="warehouse_settings")
    enterprise_size = models.CharField(
        _("enterprise size"),
        max_length=10,
        choices=EnterpriseSize.choices,
        default=EnterpriseSize.LARGE,
        help_text=_("The EU destruction ban on unsold apparel applies by size (ESPR art. 25)."),
    )

    def __str__(self) -> str:
        return f"{self.store} ({self.enterprise_size})"


class Grade(models.Model):
    """One step of a store's grading scale (A as new … D unsellable)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="grades")
    code = models.CharField(_("code"), max_length=10)
    labels = models.JSONField(_("labels"), help_text=_('Label per language: {"en": …, "fr": …}'))
    sellable = models.BooleanField(_("sellable"), default=True)
    outcome = models.CharField(
        _("default refund"), max_length=10, choices=Outcome.choices, default=Outcome.FULL
    )
    max_deduction_rate = models.DecimalField(
        _("largest deduction (share of the unit's price)"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        validators=_SHARE,
    )
    graded_price_rate = models.DecimalField(
        _("price of the graded SKU (share of the original)"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=_SHARE,
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="grade_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code

    def label(self, language: str | None = None) -> str:
        return _label(self.labels, self.code, language)


class DispositionRule(models.Model):
    """What to do with a unit of `grade` (blank: any) in a category starting with
    `category_prefix` (blank: any). The store's rules are tried by position; the first match is
    the suggestion the operator may override."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="disposition_rules")
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    category_prefix = models.CharField(_("category starts with"), max_length=120, blank=True)
    disposition = models.CharField(_("disposition"), max_length=20, choices=Disposition.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.grade or '*'} {self.category_prefix or '*'} → {self.disposition}"


class Checklist(models.Model):
    """The inspection checklist of a category (prefix; blank for any), item code → labels."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="checklists")
    category_prefix = models.CharField(_("category starts with"), max_length=120, blank=True)
    items = models.JSONField(_("items"), help_text=_('{"tags_on": {"en": …, "fr": …}, …}'))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "category_prefix"], name="checklist_unique_category"
            ),
        ]

    def __str__(self) -> str:
        return self.category_prefix or "*"


class Receipt(models.Model):
    """A parcel opened at a station. One per return: the unique constraint and the return's row
    lock (services.receive_parcel) make sure two stations never receive the same parcel twice."""

    return_request = models.OneToOneField(Return, on_delete=models.CASCADE, related_name="receipt")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="receipts")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    operator_label = models.CharField(max_length=200, blank=True)
    expected_units = models.PositiveIntegerField(default=0)
    received_units = models.PositiveIntegerField(default=0)
    scanned = models.JSONField(_("scanned codes"), default=list, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["warehouse", "received_at"], name="receipt_day")]

    def __str__(self) -> str:
        return f"receipt of return {self.return_request_id}"


def _discrepancy_photo_path(instance: "ReceivingDiscrepancy", filename: str) -> str:
    return f"warehouse/{instance.receipt.return_request.store_id}/discrepancies/{filename}"


class ReceivingDiscrepancy(models.Model):
    """What the parcel held that was not announced, or lacked."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(_("kind"), max_length=20, choices=DiscrepancyKind.choices)
    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    code = models.CharField(_("scanned code"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to=_discrepancy_photo_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="discrepancy_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} × {self.quantity}"


class InspectionUnit(models.Model):
    """One received unit of a return line: its grade, checklist and photos, the refund it gets
    (full, partial with a deduction, refused, with the reason) and what becomes of it."""

    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.CASCADE, related_name="inspection_units"
    )
    unit_index = models.PositiveSmallIntegerField(_("unit"))  # 1 … received_qty
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("grade"), max_length=10)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)
    outcome = models.CharField(_("refund"), max_length=10, choices=Outcome.choices)
    deduction = money_field(_("deduction"))
    reason = models.TextField(_("reason told to the shopper"), blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    inspected_at = models.DateTimeField(auto_now_add=True)
    suggested_disposition = models.CharField(
        _("suggested disposition"), max_length=20, choices=Disposition.choices, blank=True
    )
    disposition = models.CharField(
        _("disposition"), max_length=20, choices=Disposition.choices, blank=True
    )
    disposition_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    disposition_override_reason = models.TextField(blank=True)
    legal_derogations = models.JSONField(_("legal derogations"), default=list, blank=True)
    disposition_note = models.TextField(blank=True)
    restocked_variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["return_line_id", "unit_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_line", "unit_index"], name="inspection_unit_unique"
            ),
            models.CheckConstraint(condition=Q(unit_index__gt=0), name="inspection_unit_index"),
            models.CheckConstraint(condition=Q(deduction__gte=0), name="inspection_deduction"),
        ]
        indexes = [
            models.Index(fields=["warehouse", "inspected_at"], name="inspection_day"),
            models.Index(fields=["warehouse", "disposed_at"], name="disposition_day"),
        ]

    def __str__(self) -> str:
        return f"line {self.return_line_id} unit {self.unit_index}"
