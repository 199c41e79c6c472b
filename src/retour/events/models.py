"""The outbox: one row per domain event, written in the same transaction as the change."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store


class OutboxEvent(models.Model):
    """Something that happened in a store, kept until every channel has taken it.

    `id` is the event's identity everywhere: the `Retour-Event-Id` webhook header, the `id` of the
    JSON body and the e-mail's Message-ID, so a receiver recognises a redelivery.
    `dispatched_at` is set once the notifications dispatcher has planned its deliveries; a row
    without it is picked up again by the worker's sweep (a crash loses nothing).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="outbox_events")
    type = models.CharField(_("type"), max_length=60, help_text=_("e.g. return.approved"))
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="outbox_undispatched",
            ),
            models.Index(fields=["store", "type", "-created_at"], name="outbox_store_type"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
