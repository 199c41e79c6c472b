"""A store's connection to its shop platform, the events it sent us (raw, for replay) and what
we wrote back to it."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store
from retour.connectors.choices import EventStatus, Platform, WriteBackKind, WriteBackStatus
from retour.core import crypto
from retour.returns.models import Return

_PURPOSE = b"retour.connectors.platform-credentials.v1"


class Connection(models.Model):
    """One platform per store. `credentials` (API token, consumer key and secret, webservice
    key, webhook secret) are encrypted at rest; `options` holds what is not secret (API version,
    the Shopify location restocks go to). `cursor` is where the backfill stopped: a new run
    starts from there; a first backfill may go through the platform's bulk export instead
    (`bulk_export`)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="connections")
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    base_url = models.URLField(_("shop address"), max_length=300)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    options = models.JSONField(_("options"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    cursor = models.TextField(_("backfill cursor"), blank=True)
    backfill_done_at = models.DateTimeField(_("backfill finished"), null=True, blank=True)
    # The platform's bulk export of the history under way (Shopify): its id, when it began and
    # the byte offset of its file imported so far; `{"fallback": …}` once it failed (the
    # history is then read page by page). Empty otherwise.
    bulk_export = models.JSONField(default=dict, blank=True, editable=False)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["store", "platform"], name="connection_unique_platform")
        ]

    def __str__(self) -> str:
        return f"{self.store} · {self.get_platform_display()}"

    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted, purpose=_PURPOSE)

    def set_credentials(self, values: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(values, purpose=_PURPOSE)


class InboundEvent(models.Model):
    """What the platform sent, as it sent it (headers and body), kept for replay. `key` is the
    platform's delivery id (or the order and its update time for a backfill): the same event
    twice is one row, applied once."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    key = models.CharField(max_length=200)
    topic = models.CharField(_("topic"), max_length=60)
    resource_id = models.CharField(_("order"), max_length=100, blank=True)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="inbound_event_unique_key")
        ]
        indexes = [
            models.Index(fields=["connection", "-received_at"], name="inbound_connection_recent")
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key}"


class WriteBack(models.Model):
    """A change of ours sent to the platform: one per outbox event and connection. `request` is
    built once (then every retry sends the same lines, amounts and idempotency key)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="write_backs")
    kind = models.CharField(_("kind"), max_length=20, choices=WriteBackKind.choices)
    source_event = models.UUIDField(help_text=_("The outbox event it comes from"))
    source = models.JSONField(default=dict, help_text=_("That event's payload"))
    return_request = models.ForeignKey(
        Return, on_delete=models.CASCADE, null=True, blank=True, related_name="write_backs"
    )
    idempotency_key = models.CharField(max_length=100)
    request = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=WriteBackStatus.choices, default=WriteBackStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    remote_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "source_event"], name="write_back_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["connection", "status"], name="write_back_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"
