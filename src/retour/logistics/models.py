"""Carrier accounts, return shipments (labels), tracking events, pickups and routing rules."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retour.commerce.fields import money_field
from retour.commerce.models import Store, Warehouse
from retour.logistics import crypto
from retour.logistics.choices import (
    CarrierKind,
    PickupStatus,
    PickupWindow,
    RoutingStrategy,
    ShipmentStatus,
    TrackingStatus,
)
from retour.returns.models import Return


class CarrierAccount(models.Model):
    """A store's account at a carrier or aggregator. Credentials (API keys, webhook secret) are
    encrypted at rest (`crypto`); read them with `credentials`, change them with
    `set_credentials`."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="carrier_accounts")
    kind = models.CharField(_("carrier"), max_length=20, choices=CarrierKind.choices)
    name = models.CharField(_("name"), max_length=100)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    # Non-secret settings: default service, label format, the warehouse's sender id…
    options = models.JSONField(_("options"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="carrier_account_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted)

    def set_credentials(self, values: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(values)


class Shipment(models.Model):
    """One attempt at a return label. At most one per return is `pending` or `created`; failed
    and voided attempts stay as history. The label files are kept as bytes: they are small
    (a few kB) and must survive the carrier deleting its copy."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="return_shipments")
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="shipments")
    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING
    )
    # Derived from the return and the attempt number: a retry of the same attempt (after a
    # timeout or a crash) sends the same key, so the carrier can recognise it.
    idempotency_key = models.CharField(max_length=80)
    carrier_shipment_id = models.CharField(max_length=100, blank=True)
    carrier_name = models.CharField(_("carrier"), max_length=60, blank=True)
    service = models.CharField(_("service"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking page"), max_length=500, blank=True)
    rate = money_field(_("postage"))
    currency = models.CharField(max_length=3, blank=True)
    label_pdf = models.BinaryField(blank=True, default=b"")
    label_zpl = models.BinaryField(blank=True, default=b"")
    qr_code_url = models.URLField(
        max_length=500, blank=True
    )  # a carrier's QR for paperless drop-off
    last_error = models.TextField(_("last error"), blank=True)
    # A failure that may pass if tried again (timeout, carrier down): the next try is the same
    # attempt (same key) and resumes `carrier_shipment_id`, what the carrier made so far.
    resumable = models.BooleanField(default=False)
    tracking_status = models.CharField(
        max_length=30, choices=TrackingStatus.choices, default=TrackingStatus.UNKNOWN
    )
    # When the newest applied tracking event happened (by the carrier's clock): older events
    # arriving later are recorded but never move the parcel backwards.
    tracking_updated_at = models.DateTimeField(null=True, blank=True)
    first_scan_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request"],
                condition=Q(status__in=["pending", "created"]),
                name="shipment_one_live_per_return",
            ),
            models.UniqueConstraint(
                fields=["account", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_unique_tracking_per_account",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "carrier_shipment_id"], name="shipment_carrier_id"),
            models.Index(fields=["status", "created_at"], name="shipment_status_created"),
            # The labels of a period, for the insights' costs and carriers.
            models.Index(fields=["store", "created_at"], name="shipment_store_created"),
        ]

    def __str__(self) -> str:
        return self.tracking_number or f"shipment {self.pk}"


class TrackingEvent(models.Model):
    """A carrier's tracking event as received (webhook or poll). Unique per account and provider
    event id, so the same event delivered twice is stored once and applied once."""

    account = models.ForeignKey(
        CarrierAccount, on_delete=models.CASCADE, related_name="tracking_events"
    )
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    provider_event_id = models.CharField(max_length=150)
    tracking_number = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=30, choices=TrackingStatus.choices)
    carrier_status = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField()
    applied = models.BooleanField(default=False)  # did it move the return or the shipment?
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_event_id"], name="tracking_event_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.status}"


class PickupBooking(models.Model):
    """A carrier driver collects a return parcel at the shopper's address on a given day."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="pickups")
    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, null=True, related_name="pickups"
    )
    # Empty while the shopper's request waits for the label (`services.request_pickup`).
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, null=True, blank=True, related_name="pickups"
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("pickup date"))
    window = models.CharField(
        _("time window"), max_length=10, choices=PickupWindow.choices, default=PickupWindow.DAY
    )
    address = models.JSONField(_("pickup address"), default=dict)
    phone = models.CharField(_("phone for the driver"), max_length=40, blank=True)
    status = models.CharField(
        max_length=12, choices=PickupStatus.choices, default=PickupStatus.REQUESTED
    )
    confirmation = models.CharField(_("carrier confirmation"), max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["warehouse", "date"], name="pickup_warehouse_date")]

    def __str__(self) -> str:
        return f"pickup {self.date} {self.shipment}"


class RoutingRule(models.Model):
    """Where a return goes and with which carrier: the first active rule (by position) whose
    conditions all match wins. Conditions (all optional, lists of values):
    `{"country": ["FR"], "reason": ["defective"], "category": ["apparel/"], "method": ["pickup"]}`
    (a category matches by prefix)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="routing_rules")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    account = models.ForeignKey(
        CarrierAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    strategy = models.CharField(
        max_length=10, choices=RoutingStrategy.choices, default=RoutingStrategy.FIXED
    )
    service = models.CharField(_("service"), max_length=100, blank=True)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
