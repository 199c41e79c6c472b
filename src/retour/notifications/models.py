"""E-mail templates, webhook endpoints, and the delivery of each outbox event on each channel."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store
from retour.events.models import OutboxEvent
from retour.notifications.choices import Channel, DeliveryStatus
from retour.returns.models import Return


class EmailTemplate(models.Model):
    """A store's version of one e-mail in one language; without it the packaged default is used.

    Rendered by Jinja2's sandbox with autoescaping (HTML part): a template can show the
    variables it is given, never run code or reach the application's objects.
    """

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="email_templates")
    event_type = models.CharField(_("event"), max_length=60)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("plain-text body"))
    body_html = models.TextField(_("HTML body"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "event_type", "language"], name="email_template_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.language})"


class WebhookEndpoint(models.Model):
    """A URL of the shop that receives signed JSON events."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    # Needed in clear to sign each request; shown once at creation, masked everywhere after.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_('Event types to send, e.g. ["return.approved", "refund.*"]; empty: all'),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    @property
    def masked_secret(self) -> str:
        return f"{self.secret[:10]}…" if self.secret else ""

    def wants(self, event_type: str) -> bool:
        if not self.events:
            return True
        for pattern in self.events:
            if pattern == event_type or (
                pattern.endswith(".*") and event_type.startswith(pattern[:-1])
            ):
                return True
        return False


class Delivery(models.Model):
    """One event to one recipient on one channel. Unique, so a redelivered event plans nothing
    twice; its status says whether it was sent (and then it is never sent again)."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=320)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "recipient"], name="delivery_unique_recipient"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=~Q(status__in=[DeliveryStatus.SENT, DeliveryStatus.ABANDONED]),
                name="delivery_due",
            ),
            models.Index(fields=["store", "channel", "-created_at"], name="delivery_store"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} {self.status}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per try, with what the receiver answered."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    ok = models.BooleanField(_("succeeded"))
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    response = models.TextField(_("response (start)"), blank=True)

    class Meta:
        ordering = ["delivery", "number", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"#{self.number} {'ok' if self.ok else 'failed'}"


class PushSubscription(models.Model):
    """A shopper's browser that asked for Web Push updates about one return (the tracking
    page's button). `endpoint` is the push service's URL for that browser; `p256dh` and `auth`
    (base64url) are the browser's keys the payload is encrypted to (RFC 8291). Deleted when the
    push service answers 404 or 410 (the browser unsubscribed), or by the shopper."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.CharField(_("endpoint"), max_length=1000)
    p256dh = models.CharField(_("browser public key"), max_length=100)
    auth = models.CharField(_("authentication secret"), max_length=40)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        constraints = [
            # One browser (one endpoint) may follow several returns of the store, each once.
            models.UniqueConstraint(
                fields=["return_request", "endpoint"], name="push_subscription_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.return_request_id} → {self.endpoint[:60]}"


class VapidKeyPair(models.Model):
    """The installation's VAPID key pair (RFC 8292), one row made on first use: the public key
    (base64url, uncompressed P-256 point) is what browsers subscribe with, so it must not change
    while subscriptions exist; the private key is a Fernet token (`core.crypto`)."""

    public_key = models.CharField(_("public key"), max_length=100)
    private_key = models.TextField(_("private key (encrypted)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("VAPID key pair")
        verbose_name_plural = _("VAPID key pairs")

    def __str__(self) -> str:
        return self.public_key[:16]
