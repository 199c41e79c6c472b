"""What a caller may touch: stores by slug, scopes by role or key."""

import pytest

from retour.accounts.access import api_key_access, staff_access
from retour.accounts.scopes import ROLE_SCOPES, Role, Scope
from retour.accounts.services import hash_api_key
from retour.core.actors import ActorKind
from retour.core.errors import NotFound, PermissionDenied
from tests.factories import api_key

pytestmark = pytest.mark.django_db


def test_an_owner_holds_every_scope():
    assert ROLE_SCOPES[Role.OWNER] == frozenset(Scope.values)


def test_every_role_has_scopes():
    assert set(ROLE_SCOPES) == set(Role.values)


def test_a_warehouse_operator_cannot_review():
    assert Scope.RETURNS_REVIEW not in ROLE_SCOPES[Role.WAREHOUSE]


def test_staff_access_grants_the_scopes_of_the_role(warehouse_a, store_a):
    access = staff_access(warehouse_a)

    assert access.store_id("store-a", Scope.RETURNS_RECEIVE) == store_a.pk
    assert access.actor.kind == ActorKind.STAFF


def test_staff_access_forbids_a_scope_the_role_lacks(warehouse_a):
    with pytest.raises(PermissionDenied):
        staff_access(warehouse_a).store_id("store-a", Scope.RETURNS_REVIEW)


def test_staff_access_does_not_find_another_store(staff_b, store_a):
    with pytest.raises(NotFound):
        staff_access(staff_b).store_id("store-a", Scope.RETURNS_READ)


def test_a_key_grants_its_store_only(store_a, store_b):
    access = api_key_access(hash_api_key(api_key(store_a, [Scope.ORDERS_READ])))

    assert list(access.grants) == ["store-a"]
    assert access.store_ids == [store_a.pk]
    assert access.actor.kind == ActorKind.API


def test_an_unknown_key_grants_nothing(store_a):
    assert api_key_access(hash_api_key("rtk_unknown")) is None
