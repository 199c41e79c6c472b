"""Who may call the API: API keys (Bearer) and staff sessions."""

import pytest
from django.test import Client
from django.utils import timezone

from retour.accounts.models import ApiKey
from retour.accounts.scopes import Scope
from retour.accounts.services import revoke_api_key
from tests.factories import SYSTEM, api_key

pytestmark = pytest.mark.django_db

STORES = "/api/v1/stores"


def _bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_valid_key_lists_its_store(store_a):
    response = _bearer(api_key(store_a)).get(STORES)

    assert response.status_code == 200
    assert [store["slug"] for store in response.json()] == ["store-a"]


def test_a_wrong_key_is_401(store_a):
    api_key(store_a)

    response = _bearer("rtk_not-a-real-key").get(STORES)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_revoked_key_is_401(store_a):
    raw = api_key(store_a)
    revoke_api_key(api_key=ApiKey.objects.get(store=store_a), actor=SYSTEM)

    response = _bearer(raw).get(STORES)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_no_credentials_is_401(store_a):
    response = Client().get(STORES)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_key_without_the_scope_is_403(store_a, order_a):
    client = _bearer(api_key(store_a, [Scope.RETURNS_READ]))

    response = client.get(f"/api/v1/stores/store-a/orders/{order_a.number}")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert response.json()["details"]["scope"] == Scope.ORDERS_READ


def test_a_key_records_when_it_was_last_used(store_a):
    raw = api_key(store_a)

    _bearer(raw).get(STORES)

    assert ApiKey.objects.get(store=store_a).last_used_at is not None


def test_a_key_used_again_within_a_minute_writes_nothing(store_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raw = api_key(store_a)
    ApiKey.objects.update(last_used_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        _bearer(raw).get(STORES)

    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_a_staff_session_lists_the_stores_of_its_memberships(owner_a, session_client, store_b):
    response = session_client(owner_a).get(STORES)

    assert [store["slug"] for store in response.json()] == ["store-a"]


def test_a_staff_member_without_membership_sees_no_store(session_client):
    from tests.factories import UserFactory

    response = session_client(UserFactory()).get(STORES)

    assert response.status_code == 200
    assert response.json() == []
