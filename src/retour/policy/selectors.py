"""Reads of a store's policy. A published version never changes, so its parsed and compiled
form is cached per version for the life of the process."""

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from retour.commerce.models import Store
from retour.policy.document import DEFAULT_DOCUMENT
from retour.policy.engine import CompiledPolicy
from retour.policy.models import PolicyVersion

_DEFAULT = CompiledPolicy(DEFAULT_DOCUMENT)
# (version id, created_at) → compiled policy. The creation time is part of the key because a
# rolled-back transaction (in tests) can hand the same id to another version.
_CACHE: dict[tuple[int, datetime], CompiledPolicy] = {}
_CACHE_SIZE = 256


def current_version(store: Store | int) -> PolicyVersion | None:
    """The store's latest published version, or None (the default policy then applies)."""
    store_id = store if isinstance(store, int) else store.pk
    return PolicyVersion.objects.filter(store_id=store_id).order_by("-number").first()


def latest_version_id(store_ref: str = "store_id") -> Subquery:
    """A subquery giving the latest version's id of the store `OuterRef(store_ref)` points at,
    so a caller can fetch it with rows it loads anyway (no extra query)."""
    latest = PolicyVersion.objects.filter(store_id=OuterRef(store_ref)).order_by("-number")
    return Subquery(latest.values("pk")[:1])


def versions_by_id(ids) -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(pk__in=ids)


def compiled(version: PolicyVersion | None) -> CompiledPolicy:
    """The engine-ready form of a version, or of the default policy when there is none."""
    if version is None:
        return _DEFAULT
    from retour.policy.document import PolicyDocument

    key = (version.pk, version.created_at)
    policy = _CACHE.get(key)
    if policy is None:
        document = version.document
        if isinstance(document, str):  # loaded as text by a query that may not need it
            parsed = PolicyDocument.model_validate_json(document)
        else:
            parsed = PolicyDocument.model_validate(document)
        policy = CompiledPolicy(parsed)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = policy
    return policy


def default_policy() -> CompiledPolicy:
    return _DEFAULT
