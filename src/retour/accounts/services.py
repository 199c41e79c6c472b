"""Writes for staff membership and API keys; each one transaction with its audit event."""

import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import Role, Scope
from retour.commerce.audit import record_audit
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import InvalidRequest

API_KEY_PREFIX = "rtk_"


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *, store: Store, name: str, scopes: Iterable[str], actor: Actor
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored nor shown again."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise InvalidRequest(_("Unknown scopes: %s") % ", ".join(sorted(unknown)))
    if not scopes:
        raise InvalidRequest(_("An API key needs at least one scope."))
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        store=store,
        name=name,
        prefix=raw_key[: len(API_KEY_PREFIX) + 6],
        key_hash=hash_api_key(raw_key),
        scopes=scopes,
        created_by_id=actor.user_id,
    )
    record_audit(
        store=store,
        actor=actor,
        verb="api_key.created",
        obj=api_key,
        data={"name": name, "scopes": scopes, "prefix": api_key.prefix},
    )
    return api_key, raw_key


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey, actor: Actor) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_audit(store=api_key.store, actor=actor, verb="api_key.revoked", obj=api_key)


@transaction.atomic
def add_member(*, store: Store, user, role: Role | str, actor: Actor) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        user=user, store=store, defaults={"role": role}
    )
    record_audit(
        store=store,
        actor=actor,
        verb="membership.set",
        obj=membership,
        data={"user": user.get_username(), "role": str(role)},
    )
    return membership
