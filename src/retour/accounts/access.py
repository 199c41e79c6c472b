"""The caller of a service or API route, and the stores and scopes it may use."""

from dataclasses import dataclass

from django.utils import timezone

from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import ROLE_SCOPES
from retour.core.actors import Actor
from retour.core.errors import NotFound, PermissionDenied
from retour.core.prepared import PreparedQuery


@dataclass(frozen=True)
class StoreGrant:
    store_id: int
    scopes: frozenset[str]
    role: str = ""  # a staff member's role there; empty for an API key


@dataclass(frozen=True)
class Access:
    """What the caller may touch: for each store slug, the store's id and the scopes granted."""

    actor: Actor
    grants: dict[str, StoreGrant]

    @property
    def store_ids(self) -> list[int]:
        return [grant.store_id for grant in self.grants.values()]

    def store_id(self, slug: str, scope: str) -> int:
        """The id of the store `slug` if the caller holds `scope` there.

        A store the caller does not belong to is "not found" (its existence is not revealed);
        a missing scope in one of its own stores is "forbidden".
        """
        grant = self.grants.get(slug)
        if grant is None:
            raise NotFound("Not found.")
        if scope not in grant.scopes:
            raise PermissionDenied(f"This action needs the scope “{scope}”.", scope=scope)
        return grant.store_id


def staff_access(user) -> Access:
    memberships = Membership.objects.filter(user=user).values_list(
        "store_id", "store__slug", "role"
    )
    return Access(
        actor=Actor.staff(user),
        grants={
            slug: StoreGrant(store_id, ROLE_SCOPES[role], role)
            for store_id, slug, role in memberships
        },
    )


# Writing last_used_at on every request would double the cost of a read; once a minute is enough.
LAST_USED_RESOLUTION_SECONDS = 60


# Every API request runs this query: it is compiled once per process.
_ACTIVE_KEY = PreparedQuery(
    lambda key_hash: (
        ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True)
        .select_related("store")
        .only("id", "name", "prefix", "scopes", "last_used_at", "store__id", "store__slug")[:1]
    ),
    (str,),
)


def api_key_access(key_hash: str) -> Access | None:
    """The access an API key grants (one query), or None for an unknown or revoked key."""
    found = _ACTIVE_KEY.run(key_hash)
    api_key = found[0] if found else None
    if api_key is None:
        return None
    now = timezone.now()
    if (
        api_key.last_used_at is None
        or (now - api_key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return Access(
        actor=Actor.api_client(f"{api_key.name} ({api_key.prefix})"),
        grants={api_key.store.slug: StoreGrant(api_key.store.id, frozenset(api_key.scopes))},
    )
