"""The values of carrier accounts, shipments, tracking events and pickups, with their meaning."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class CarrierKind(models.TextChoices):
    """Which adapter talks to the carrier (`retour.logistics.adapters`)."""

    OWN_LABEL = "own_label", _("Own label")  # Retour prints the label; no carrier account
    EASYPOST = "easypost", _("EasyPost")
    SENDCLOUD = "sendcloud", _("Sendcloud")


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Being created")  # the carrier call is under way (or was cut off)
    CREATED = "created", _("Label created")  # a label exists and is the return's label
    FAILED = "failed", _("Failed")  # the carrier refused or did not answer: no label
    VOIDED = "voided", _("Voided")  # cancelled at the carrier (or by us, for own labels)


class TrackingStatus(models.TextChoices):
    """A carrier's status, normalised. Ordered: a parcel never goes back to an earlier one."""

    UNKNOWN = "unknown", _("Unknown")
    PRE_TRANSIT = "pre_transit", _("Label created, not scanned yet")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Waiting at a pickup point")
    RETURN_TO_SENDER = "return_to_sender", _("Returned to sender")
    FAILURE = "failure", _("Delivery failed")
    CANCELLED = "cancelled", _("Cancelled")


# How far along each status is; events that would move a parcel backwards are recorded, not applied.
TRACKING_RANK = {
    TrackingStatus.UNKNOWN: 0,
    TrackingStatus.PRE_TRANSIT: 1,
    TrackingStatus.IN_TRANSIT: 2,
    TrackingStatus.AVAILABLE_FOR_PICKUP: 3,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.FAILURE: 3,
    TrackingStatus.RETURN_TO_SENDER: 3,
    TrackingStatus.DELIVERED: 4,
    TrackingStatus.CANCELLED: 0,
}


class PickupStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BOOKED = "booked", _("Booked")  # the carrier confirmed the date
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class PickupWindow(models.TextChoices):
    """When in the day the driver comes, in the store's time zone (`PICKUP_HOURS`)."""

    MORNING = "morning", _("Morning (8:00–12:00)")
    AFTERNOON = "afternoon", _("Afternoon (13:00–18:00)")
    DAY = "day", _("All day (8:00–18:00)")


PICKUP_HOURS = {
    PickupWindow.MORNING: (dt.time(8), dt.time(12)),
    PickupWindow.AFTERNOON: (dt.time(13), dt.time(18)),
    PickupWindow.DAY: (dt.time(8), dt.time(18)),
}


class RoutingStrategy(models.TextChoices):
    FIXED = "fixed", _("The rule's service")
    CHEAPEST = "cheapest", _("Cheapest rate")
    FASTEST = "fastest", _("Fastest rate")
