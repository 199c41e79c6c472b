"""API keys and memberships."""

import pytest

from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import Role, Scope
from retour.accounts.services import add_member, create_api_key, hash_api_key, revoke_api_key
from retour.commerce.models import AuditEvent
from retour.core.errors import InvalidRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _create(store, actor, scopes=(Scope.ORDERS_READ,)):
    return create_api_key(store=store, name="shop sync", scopes=scopes, actor=actor)


def test_a_key_is_stored_only_as_its_hash(store_a, actor):
    key, raw = _create(store_a, actor)

    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert stored["key_hash"] == hash_api_key(raw)
    assert raw not in {str(value) for value in stored.values()}


def test_the_raw_key_appears_nowhere_in_the_audit_log(store_a, actor):
    _key, raw = _create(store_a, actor)

    assert not any(raw in str(event) for event in AuditEvent.objects.values_list("data", flat=True))


def test_a_key_starts_with_its_recognisable_prefix(store_a, actor):
    key, raw = _create(store_a, actor)

    assert raw.startswith("rtk_")
    assert raw.startswith(key.prefix)
    assert len(key.prefix) == 10


def test_two_keys_differ(store_a, actor):
    assert _create(store_a, actor)[1] != _create(store_a, actor)[1]


def test_a_key_refuses_unknown_scopes(store_a, actor):
    with pytest.raises(InvalidRequest):
        _create(store_a, actor, scopes=["orders:read", "everything"])

    assert not ApiKey.objects.exists()


def test_a_key_needs_a_scope(store_a, actor):
    with pytest.raises(InvalidRequest):
        _create(store_a, actor, scopes=[])


def test_creating_a_key_is_audited(store_a, actor):
    key, _raw = _create(store_a, actor)

    event = AuditEvent.objects.get(verb="api_key.created")
    assert event.object_id == str(key.pk)
    assert event.data["scopes"] == ["orders:read"]


def test_revoking_a_key_sets_its_revocation_time(store_a, actor):
    key, _raw = _create(store_a, actor)

    revoke_api_key(api_key=key, actor=actor)

    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert AuditEvent.objects.filter(verb="api_key.revoked").count() == 1


def test_add_member_changes_the_role_of_an_existing_member(store_a, actor):
    user = UserFactory()
    add_member(store=store_a, user=user, role=Role.SUPPORT, actor=actor)

    add_member(store=store_a, user=user, role=Role.FINANCE, actor=actor)

    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == ["finance"]
