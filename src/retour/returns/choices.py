"""The values a return, its lines and its claims can take, each with what it means."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReturnStatus(models.TextChoices):
    """Where a return stands. Only `retour.returns.lifecycle` changes it."""

    REQUESTED = "requested", _("Requested")  # submitted, not yet decided
    PENDING_REVIEW = "pending_review", _("Pending review")  # the rules sent it to staff
    APPROVED = "approved", _("Approved")  # accepted; waiting for a label or the parcel
    REJECTED = "rejected", _("Rejected")  # refused, with a reason told to the shopper
    LABEL_ISSUED = "label_issued", _("Label issued")  # the shopper can send the parcel
    IN_TRANSIT = "in_transit", _("In transit")  # the carrier has scanned the parcel
    DELIVERED = "delivered", _("Delivered to the warehouse")  # carrier says it arrived
    RECEIVED = "received", _("Received")  # the warehouse opened it and counted items
    INSPECTED = "inspected", _("Inspected")  # every line graded; ready for the money
    RESOLVED = "resolved", _("Resolved")  # refunded, credited or exchanged
    CLOSED = "closed", _("Closed")  # nothing more will happen
    CANCELLED = "cancelled", _("Cancelled")  # withdrawn by the shopper or staff before shipping
    EXPIRED = "expired", _("Expired")  # never sent within the allowed time


# A return in one of these states no longer holds its requested quantities.
VOID_STATUSES = frozenset({ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED})
# In these, the warehouse has counted what came back: the received quantity is what was returned.
SETTLED_STATUSES = frozenset({ReturnStatus.RESOLVED, ReturnStatus.CLOSED})


class ReturnMethod(models.TextChoices):
    DROP_OFF = "drop_off", _("Drop-off at a carrier point")
    PICKUP = "pickup", _("Carrier pickup")
    IN_STORE = "in_store", _("Return in store")
    MAIL = "mail", _("By post")
    KEEP = "keep", _("Keep the item (returnless)")


class Resolution(models.TextChoices):
    REFUND = "refund", _("Refund to the original payment")
    STORE_CREDIT = "store_credit", _("Store credit")
    EXCHANGE = "exchange", _("Exchange")


class LineStatus(models.TextChoices):
    """Where one line's items are; whether we accept them is a separate fact (accepted_qty)."""

    EXPECTED = "expected", _("Expected")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")


class MessageKind(models.TextChoices):
    """Who a message of a return is for."""

    TO_SHOPPER = "to_shopper", _("Message to the shopper")  # sent to the shopper by e-mail
    FROM_SHOPPER = "from_shopper", _("Message from the shopper")
    NOTE = "note", _("Internal note")  # staff only, never shown to the shopper


class ClaimKind(models.TextChoices):
    DAMAGED = "damaged", _("Damaged on arrival")
    MISSING = "missing", _("Missing item")
    WRONG_ITEM = "wrong_item", _("Wrong item")


class ClaimStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RESOLVED = "resolved", _("Resolved")


class ClaimResolution(models.TextChoices):
    REFUND = "refund", _("Refund")
    REPLACEMENT = "replacement", _("Replacement")
