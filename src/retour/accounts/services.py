"""Writes for staff membership and API keys; each one transaction with its audit event.

A store always keeps an owner: the last one can be neither removed nor given another role
(the owners' rows are locked while this is checked, so two owners cannot demote each other at
once and leave none).
"""

import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import Role, Scope
from retour.commerce.audit import record_audit
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest

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


def _check_an_owner_stays(membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    owners = list(
        Membership.objects.select_for_update()
        .filter(store_id=membership.store_id, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk]:
        raise Conflict(_("A store needs at least one owner: name another owner first."))


@transaction.atomic
def invite_member(*, store: Store, email: str, role: Role | str, actor: Actor) -> Membership:
    """Give `email` a role in `store`, creating their user (without a password: they set one
    from their invitation link) if they have none yet. Someone already on the staff is refused."""
    email = email.strip().lower()
    if role not in Role.values:
        raise InvalidRequest(_("Unknown role: %s") % role)
    users = get_user_model().objects
    user = users.filter(Q(username__iexact=email) | Q(email__iexact=email)).order_by("pk").first()
    created = user is None
    if created:
        user = users.create(username=email, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif Membership.objects.filter(user=user, store=store).exists():
        raise Conflict(_("%s is already on this store's staff.") % email)
    membership = Membership.objects.create(user=user, store=store, role=role)
    record_audit(
        store=store,
        actor=actor,
        verb="membership.invited",
        obj=membership,
        data={"user": email, "role": str(role), "new_user": created},
    )
    return membership


@transaction.atomic
def change_role(*, membership: Membership, role: Role | str, actor: Actor) -> Membership:
    if role not in Role.values:
        raise InvalidRequest(_("Unknown role: %s") % role)
    membership = (
        Membership.objects.select_for_update().select_related("user", "store").get(pk=membership.pk)
    )
    if membership.role == role:
        return membership
    if role != Role.OWNER:
        _check_an_owner_stays(membership)
    previous, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    record_audit(
        store=membership.store,
        actor=actor,
        verb="membership.role_changed",
        obj=membership,
        data={"user": membership.user.get_username(), "from": previous, "to": str(role)},
    )
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, actor: Actor) -> None:
    membership = (
        Membership.objects.select_for_update().select_related("user", "store").get(pk=membership.pk)
    )
    _check_an_owner_stays(membership)
    record_audit(
        store=membership.store,
        actor=actor,
        verb="membership.removed",
        obj=membership,
        data={"user": membership.user.get_username(), "role": membership.role},
    )
    membership.delete()
