from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a shopper or the shop is told about an event."""

    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Web Push")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    """Planned, not tried yet (its job is queued)."""
    SENDING = "sending", _("Sending")
    """A worker holds it until `claimed_until`; after that it is taken again (the worker died)."""
    SENT = "sent", _("Sent")
    """The receiver accepted it. Never sent again, except by a manual replay."""
    FAILED = "failed", _("Failed, will retry")
    """The last try failed; the next one is due at `next_attempt_at`."""
    ABANDONED = "abandoned", _("Abandoned")
    """Out of tries, refused for good, or its webhook endpoint was disabled."""
