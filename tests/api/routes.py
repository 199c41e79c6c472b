"""Every route of the API, declared once: how to call it on a store's objects, and which scope
it needs. The isolation and scope tests run over this table; a route missing from it fails
`test_every_route_of_the_openapi_document_is_declared`.

To add a route: append a `Route` with its method, its OpenAPI path template, its scope, the
path parameters and body taken from a `Tenant` (one store's objects), and, if a caller naming
another store's object under its *own* store does not get 404, the status it gets instead.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from retour.accounts.scopes import Scope
from retour.commerce.models import Order, Store
from retour.returns.models import Claim, Return
from tests.commerce.payloads import order_payload


@dataclass
class Tenant:
    """One store and an object of each kind in it."""

    store: Store
    order: Order
    return_request: Return
    claim: Claim

    @property
    def lines(self):
        return list(self.order.lines.order_by("id"))

    @property
    def return_lines(self):
        return list(self.return_request.lines.order_by("id"))


Params = Callable[[Tenant], dict[str, Any]]


def _none(_tenant: Tenant) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the OpenAPI document, e.g. /api/v1/stores/{store}/returns/{rma}
    scope: str | None
    params: Params = _none
    body: Params | None = None
    query: Params = _none
    # What a caller of store B gets for store A's object named under B's own slug: 404 unless
    # the route lists (200, showing nothing of A) or creates (201, in B, leaving A untouched).
    own_store_status: int = 404
    name: str = field(default="", compare=False)
    # Public by design (no key: anyone may read it, e.g. fit advice): not in the 401/404 tests.
    public: bool = False

    def __str__(self) -> str:
        return self.name or f"{self.method} {self.path}"

    @property
    def takes_store(self) -> bool:
        return "{store}" in self.path

    def call(self, client: Client, slug: str, target: Tenant):
        url = self.path.format(store=slug, **self.params(target))
        kwargs: dict[str, Any] = {}
        if self.body is not None:
            kwargs = {"data": json.dumps(self.body(target)), "content_type": "application/json"}
        if self.query(target):
            url += "?" + "&".join(f"{k}={v}" for k, v in self.query(target).items())
        return getattr(client, self.method.lower())(url, **kwargs)


S = "/api/v1/stores/{store}"


def _rma(t: Tenant) -> dict[str, Any]:
    return {"rma": t.return_request.rma}


def _warehouse(t: Tenant) -> dict[str, Any]:
    from retour.commerce.models import Warehouse

    warehouse, _ = Warehouse.objects.get_or_create(
        store=t.store, code=f"wh-{t.store.slug}", defaults={"name": "Returns", "country": "FR"}
    )
    return {"code": warehouse.code, "date": "2030-01-15"}


def _carrier_account(t: Tenant) -> dict[str, Any]:
    from retour.logistics.models import CarrierAccount

    account, _ = CarrierAccount.objects.get_or_create(
        store=t.store, name="EasyPost", defaults={"kind": "easypost"}
    )
    return {"kind": account.kind, "account_id": account.pk}


def _dropoff_query(t: Tenant) -> dict[str, Any]:
    from retour.logistics.models import CarrierAccount

    account, _ = CarrierAccount.objects.get_or_create(
        store=t.store, name="Own label", defaults={"kind": "own_label"}
    )
    return {"carrier": account.pk, "postcode": "75012", "country": "FR"}


def _tomorrow(t: Tenant) -> dict[str, Any]:
    import datetime as dt

    from django.utils import timezone

    return {"date": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}


def _unit(t: Tenant) -> dict[str, Any]:
    return {"rma": t.return_request.rma, "line_id": t.return_lines[0].pk, "unit_index": 1}


def _refund(t: Tenant) -> dict[str, Any]:
    from retour.refunds.models import Refund

    return {"reference": Refund.objects.get(return_request=t.return_request).reference}


def _refund_part(t: Tenant) -> dict[str, Any]:
    from retour.refunds.models import Refund

    refund = Refund.objects.get(return_request=t.return_request)
    return {"reference": refund.reference, "part_id": refund.allocations.get().pk}


def _credit_code(t: Tenant) -> dict[str, Any]:
    from retour.refunds.models import StoreCreditAccount

    return {"code": StoreCreditAccount.objects.get(store=t.store).code}


def _exchange(t: Tenant) -> dict[str, Any]:
    """The return's line swapped for the same item (another size, say), one unit in stock."""
    from retour.commerce.models import StockLevel, Warehouse

    variant = t.return_lines[0].order_line.variant
    warehouse = Warehouse.objects.filter(store=t.store).order_by(
        "-is_default", "id"
    ).first() or Warehouse.objects.create(store=t.store, code="main", country="FR")
    StockLevel.objects.get_or_create(warehouse=warehouse, variant=variant, defaults={"on_hand": 1})
    return {"lines": [{"return_line_id": t.return_lines[0].pk, "variant_id": variant.pk}]}


def _action(path: str, scope: str, body: Params | None = None) -> Route:
    return Route("POST", f"{S}/returns/{{rma}}/{path}", scope, _rma, body)


ROUTES: list[Route] = [
    Route("GET", "/api/v1/stores", None, own_store_status=200),
    Route("GET", f"{S}/orders/{{number}}", Scope.ORDERS_READ, lambda t: {"number": t.order.number}),
    Route(
        "POST",
        f"{S}/orders/{{number}}/eligibility",
        Scope.ORDERS_READ,
        lambda t: {"number": t.order.number},
        body=lambda t: {"lines": [{"order_line_id": t.lines[0].pk, "quantity": 1}]},
    ),
    Route(
        "PUT",
        f"{S}/orders/external/{{external_id}}",
        Scope.ORDERS_WRITE,
        lambda t: {"external_id": t.order.external_id},
        body=lambda t: order_payload(number="PUSHED-1"),
        own_store_status=201,
    ),
    Route(
        "POST",
        f"{S}/returns",
        Scope.RETURNS_WRITE,
        body=lambda t: {
            "order_number": t.order.number,
            "lines": [{"order_line_id": t.lines[0].pk, "quantity": 1, "reason": "size"}],
            "method": "drop_off",
            "resolution": "refund",
        },
    ),
    Route(
        "GET",
        f"{S}/returns",
        Scope.RETURNS_READ,
        query=lambda t: {"order_number": t.order.number},
        own_store_status=200,
    ),
    Route("GET", f"{S}/returns/{{rma}}", Scope.RETURNS_READ, _rma),
    _action("review", Scope.RETURNS_REVIEW, lambda t: {"reason": "check photos"}),
    _action("approve", Scope.RETURNS_REVIEW, lambda t: {"reason": ""}),
    _action("reject", Scope.RETURNS_REVIEW, lambda t: {"reason": "worn"}),
    _action("cancel", Scope.RETURNS_WRITE, lambda t: {"reason": ""}),
    _action(
        "label", Scope.RETURNS_LOGISTICS, lambda t: {"carrier": "ups", "tracking_number": "1Z"}
    ),
    _action("in-transit", Scope.RETURNS_LOGISTICS),
    _action("delivered", Scope.RETURNS_LOGISTICS),
    _action(
        "receive",
        Scope.RETURNS_RECEIVE,
        lambda t: {"lines": [{"line_id": t.return_lines[0].pk, "received_qty": 1}]},
    ),
    _action(
        "inspect",
        Scope.RETURNS_RECEIVE,
        lambda t: {"lines": [{"line_id": t.return_lines[0].pk, "accepted_qty": 1}]},
    ),
    _action("resolve", Scope.RETURNS_RESOLVE, lambda t: {"outcome": "refund"}),
    _action("close", Scope.RETURNS_RESOLVE),
    # Logistics (issue 5). Without a label, the label routes answer 409 (`no_label`).
    _action("label/issue", Scope.RETURNS_LOGISTICS),
    _action("label/void", Scope.RETURNS_LOGISTICS),
    _action("pickup", Scope.RETURNS_LOGISTICS, _tomorrow),
    Route("GET", f"{S}/returns/{{rma}}/shipment", Scope.RETURNS_READ, _rma),
    Route("GET", f"{S}/returns/{{rma}}/label.pdf", Scope.RETURNS_READ, _rma),
    Route("GET", f"{S}/returns/{{rma}}/label.zpl", Scope.RETURNS_READ, _rma),
    Route("GET", f"{S}/returns/{{rma}}/packing-slip.pdf", Scope.RETURNS_READ, _rma),
    Route(
        "GET",
        f"{S}/warehouses/{{code}}/pickups/{{date}}/manifest.pdf",
        Scope.RETURNS_LOGISTICS,
        _warehouse,
    ),
    Route("GET", f"{S}/dropoff-points", Scope.RETURNS_READ, query=_dropoff_query),
    # Carriers authenticate by their signature, not by an API key or a session: any caller
    # without a valid signature (store B's key included) gets 401 and changes nothing.
    Route(
        "POST",
        "/api/v1/webhooks/carriers/{kind}/{account_id}",
        None,
        _carrier_account,
        own_store_status=401,
    ),
    Route(
        "POST",
        f"{S}/claims",
        Scope.RETURNS_WRITE,
        body=lambda t: {
            "order_number": t.order.number,
            "kind": "missing",
            "lines": [{"order_line_id": t.lines[1].pk, "quantity": 1}],
        },
    ),
    Route(
        "GET", f"{S}/claims/{{number}}", Scope.RETURNS_READ, lambda t: {"number": t.claim.number}
    ),
    Route(
        "POST",
        f"{S}/claims/{{number}}/decide",
        Scope.RETURNS_REVIEW,
        lambda t: {"number": t.claim.number},
        body=lambda t: {"approve": False},
    ),
    # The warehouse (issue 6). The tenant's return is only requested: receiving and inspecting
    # it are refused by the state machine (409), which is past the access rules.
    Route(
        "GET",
        f"{S}/warehouse/scan",
        Scope.RETURNS_RECEIVE,
        query=lambda t: {"code": t.return_request.rma},
    ),
    Route(
        "POST",
        f"{S}/warehouse/returns/{{rma}}/receive",
        Scope.RETURNS_RECEIVE,
        _rma,
        body=lambda t: {"lines": [{"line_id": t.return_lines[0].pk, "received_qty": 1}]},
    ),
    Route(
        "POST",
        f"{S}/warehouse/returns/{{rma}}/lines/{{line_id}}/units/{{unit_index}}",
        Scope.RETURNS_RECEIVE,
        _unit,
        body=lambda t: {"grade": "A"},
    ),
    Route(
        "POST",
        f"{S}/warehouse/returns/{{rma}}/lines/{{line_id}}/units/{{unit_index}}/disposition",
        Scope.RETURNS_RECEIVE,
        _unit,
        body=lambda t: {"disposition": "restock"},
    ),
    Route("GET", f"{S}/warehouse/reports/daily.csv", Scope.RETURNS_RECEIVE, own_store_status=200),
    Route(
        "GET",
        f"{S}/warehouse/reports/disclosure.csv",
        Scope.RETURNS_RECEIVE,
        own_store_status=200,
    ),
    # Refunds and store credit (issue 7). The tenant's refund is requested (one pending part):
    # asking again gives it back (201), approving or retrying it is refused by its state (409).
    Route("GET", f"{S}/refunds", Scope.RETURNS_READ, own_store_status=200),
    Route("GET", f"{S}/refunds/{{reference}}", Scope.RETURNS_READ, _refund),
    _action("refunds", Scope.REFUNDS_WRITE, lambda t: {}),
    _action("exchange", Scope.REFUNDS_WRITE, _exchange),
    Route("POST", f"{S}/refunds/{{reference}}/approve", Scope.REFUNDS_APPROVE, _refund),
    Route("POST", f"{S}/refunds/{{reference}}/retry", Scope.REFUNDS_WRITE, _refund),
    Route(
        "POST",
        f"{S}/refunds/{{reference}}/cancel",
        Scope.REFUNDS_WRITE,
        _refund,
        body=lambda t: {"reason": "duplicate"},
    ),
    # The tenant's refund is not being processed yet: recording its part is refused (409).
    Route(
        "POST",
        f"{S}/refunds/{{reference}}/parts/{{part_id}}/record",
        Scope.REFUNDS_WRITE,
        _refund_part,
        body=lambda t: {"reference": "VIR-1", "succeeded": True, "reason": ""},
    ),
    Route("GET", f"{S}/store-credit/{{code}}", Scope.STORE_CREDIT, _credit_code),
    Route(
        "POST",
        f"{S}/store-credit/{{code}}/redeem",
        Scope.STORE_CREDIT,
        _credit_code,
        body=lambda t: {"amount": "5.00", "reference": "shop-order-1"},
    ),
    # Stripe authenticates by the store's webhook secret: without its signature, 401.
    Route(
        "POST",
        "/api/v1/webhooks/stripe/{slug}",
        None,
        lambda t: {"slug": t.store.slug},
        own_store_status=401,
    ),
    # Public fit advice (insights): no key; a product of another store is 404.
    *(
        Route(
            "GET",
            path,
            None,
            lambda t: {"product": t.lines[0].variant.product.external_id},
            public=True,
        )
        for path in (
            "/api/v1/public/{store}/products/{product}/fit-advice",
            "/api/v1/public/{store}/products/{product}/fit-advice.js",
        )
    ),
]
