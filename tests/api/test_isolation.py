"""Tenant isolation and scopes, on every route of `tests.api.routes.ROUTES`.

A caller of store B (API key or staff session) gets 404 for store A and for each of store A's
objects, learns nothing of them and changes nothing in store A.
"""

import pytest
from django.test import Client

from retour.accounts.scopes import Scope
from retour.commerce.models import AuditEvent, Customer, Order, OrderLine, Product
from retour.refunds.models import Refund, RefundAllocation, StoreCreditEntry
from retour.returns.models import Claim, ClaimLine, Return, ReturnEvent, ReturnLine
from tests.api.routes import ROUTES, Route, Tenant
from tests.factories import api_key

pytestmark = pytest.mark.django_db

STORE_ROUTES = [route for route in ROUTES if route.takes_store and not route.public]
PRIVATE_ROUTES = [route for route in ROUTES if not route.public]
SCOPED_ROUTES = [route for route in ROUTES if route.scope]


def _ids(routes):
    return [str(route) for route in routes]


def fingerprint(tenant: Tenant) -> dict:
    """Everything of the tenant's store a route could change."""
    store = tenant.store
    return {
        "orders": list(Order.objects.filter(store=store).order_by("id").values()),
        "lines": list(OrderLine.objects.filter(order__store=store).order_by("id").values()),
        "customers": Customer.objects.filter(store=store).count(),
        "products": Product.objects.filter(store=store).count(),
        "returns": list(Return.objects.filter(store=store).order_by("id").values()),
        "return_lines": list(
            ReturnLine.objects.filter(return_request__store=store).order_by("id").values()
        ),
        "events": ReturnEvent.objects.filter(return_request__store=store).count(),
        "claims": list(Claim.objects.filter(store=store).order_by("id").values()),
        "claim_lines": ClaimLine.objects.filter(claim__store=store).count(),
        "audit": AuditEvent.objects.filter(store=store).count(),
        "refunds": list(Refund.objects.filter(store=store).order_by("id").values()),
        "refund_parts": list(
            RefundAllocation.objects.filter(refund__store=store).order_by("id").values()
        ),
        "credit": list(
            StoreCreditEntry.objects.filter(account__store=store).order_by("id").values()
        ),
    }


def secrets_of(tenant: Tenant) -> list[str]:
    """Strings that only a caller of the tenant's store may ever see."""
    return [
        tenant.store.slug,
        tenant.store.name,
        tenant.order.number,
        tenant.order.email,
        tenant.return_request.rma,
        tenant.claim.number,
    ]


@pytest.fixture(params=["api_key", "staff_session"])
def client_b(request, tenant_b, staff_b) -> Client:
    """A caller of store B with every scope there: its API key, or its owner's session."""
    if request.param == "api_key":
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_key(tenant_b.store)}")
    client = Client()
    client.force_login(staff_b)
    return client


def _assert_nothing_of(tenant: Tenant, response) -> None:
    body = response.content.decode()
    leaked = [secret for secret in secrets_of(tenant) if secret in body]
    assert leaked == [], f"{response.status_code}: {body[:300]}"


@pytest.mark.parametrize("route", STORE_ROUTES, ids=_ids(STORE_ROUTES))
def test_a_caller_of_store_b_gets_404_for_store_a(route: Route, tenant_a, client_b):
    before = fingerprint(tenant_a)

    response = route.call(client_b, tenant_a.store.slug, tenant_a)

    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert fingerprint(tenant_a) == before


@pytest.mark.parametrize("route", ROUTES, ids=_ids(ROUTES))
def test_a_caller_of_store_b_gets_nothing_of_store_a_under_its_own_store(
    route: Route, tenant_a, tenant_b, client_b
):
    before = fingerprint(tenant_a)

    response = route.call(client_b, tenant_b.store.slug, tenant_a)

    assert response.status_code == route.own_store_status, response.content
    _assert_nothing_of(tenant_a, response)
    assert fingerprint(tenant_a) == before


@pytest.mark.parametrize("route", PRIVATE_ROUTES, ids=_ids(PRIVATE_ROUTES))
def test_an_anonymous_caller_gets_401(route: Route, tenant_a):
    before = fingerprint(tenant_a)

    response = route.call(Client(), tenant_a.store.slug, tenant_a)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert fingerprint(tenant_a) == before


@pytest.mark.parametrize("route", SCOPED_ROUTES, ids=_ids(SCOPED_ROUTES))
def test_a_key_without_the_scope_gets_403(route: Route, tenant_a):
    others = [scope for scope in Scope.values if scope != route.scope]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key(tenant_a.store, others)}")
    before = fingerprint(tenant_a)

    response = route.call(client, tenant_a.store.slug, tenant_a)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    assert fingerprint(tenant_a) == before


@pytest.mark.parametrize("route", SCOPED_ROUTES, ids=_ids(SCOPED_ROUTES))
def test_a_key_with_only_the_scope_is_let_in(route: Route, tenant_a):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_key(tenant_a.store, [route.scope])}")

    response = route.call(client, tenant_a.store.slug, tenant_a)

    # 409: the action is refused by the state machine, not by the access rules.
    assert response.status_code in {200, 201, 409}, response.content


def test_every_route_of_the_openapi_document_is_declared(client):
    document = client.get("/api/v1/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }

    declared = {(route.method, route.path) for route in ROUTES}

    assert served - declared == set(), "routes without an isolation test"
    assert declared - served == set(), "declared routes the API does not serve"
