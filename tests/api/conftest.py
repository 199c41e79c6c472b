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
    add_money(return_request)
    return Tenant(store=store, order=order, return_request=return_request, claim=claim)


def add_money(return_request) -> None:
    """A refund of the return (requested, its one part pending) and some store credit of its
    shopper, for the refund and store-credit routes."""
    from decimal import Decimal

    from retour.refunds.credit import issue_credit
    from retour.refunds.models import Refund, RefundAllocation

    order = return_request.order
    refund = Refund.objects.create(
        store=order.store,
        return_request=return_request,
        order=order,
        reference=f"RF-{return_request.rma}",
        sequence=1,
        idempotency_key=f"retour-{return_request.rma}-1",
        currency=order.currency,
        amount=Decimal("10.00"),
        actor_kind="system",
    )
    RefundAllocation.objects.create(
        refund=refund,
        destination="original_payment",
        payment=order.payments.get(),
        amount=Decimal("10.00"),
        idempotency_key=f"{refund.idempotency_key}-1-or-a1",
    )
    issue_credit(
        store=order.store,
        customer=order.customer,
        currency=order.currency,
        amount=Decimal("20.00"),
        actor=SYSTEM,
    )


@pytest.fixture
def tenant_a(store_a) -> Tenant:
    return make_tenant(store_a, "AAA")


@pytest.fixture
def tenant_b(store_b) -> Tenant:
    return make_tenant(store_b, "BBB")
