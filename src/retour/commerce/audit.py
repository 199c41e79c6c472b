"""The store's audit log: call `record_audit` inside the transaction that makes the change."""

from typing import Any

from django.db import models

from retour.commerce.models import AuditEvent, Store
from retour.core.actors import Actor


def record_audit(
    *, store: Store, actor: Actor, verb: str, obj: models.Model, data: dict[str, Any] | None = None
) -> AuditEvent:
    return AuditEvent.objects.create(
        store=store,
        verb=verb,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
        **actor.audit_fields(),
    )
