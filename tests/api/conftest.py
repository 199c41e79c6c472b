import pytest

from retour.returns import services
from retour.returns.services import LineRequest
from tests.api.routes import Tenant
from tests.factories import SYSTEM, CustomerFactory, OrderFactory


def make_tenant(store, tag: str) -> Tenant:
    """`store` with an order (two lines of 3 delivered units), a requested return of one unit
    of the first line and an open claim for one unit of the second. Every identifier contains
    `tag`, so that a response can be searched for it."""
    customer = CustomerFactory(store=store, email=f"{tag.lower()}@{tag.lower()}.example")
    order = OrderFactory(
        store=store,
        customer=customer,
        number=f"{tag}-1001",
        external_id=f"gid-{tag}",
        lines=[3, 3],
    )
    first, second = order.lines.order_by("id")
    return_request = services.create_return(
        order=order,
        lines=[LineRequest(first.pk, 1, "size")],
        method="drop_off",
        resolution="refund",
        actor=SYSTEM,
    )
    claim = services.create_claim(
        order=order, kind="damaged", lines=[LineRequest(second.pk, 1)], actor=SYSTEM
    )
    return Tenant(store=store, order=order, return_request=return_request, claim=claim)


@pytest.fixture
def tenant_a(store_a) -> Tenant:
    return make_tenant(store_a, "AAA")


@pytest.fixture
def tenant_b(store_b) -> Tenant:
    return make_tenant(store_b, "BBB")
