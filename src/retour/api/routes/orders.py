from django.http import HttpRequest
from ninja import Router, Status

from retour.accounts.scopes import Scope
from retour.api.schemas import ErrorOut, OrderOut, OrderUpsertOut
from retour.commerce.inputs import OrderIn
from retour.commerce.models import Store
from retour.commerce.services import upsert_order
from retour.core.errors import NotFound
from retour.returns.selectors import order_detail

router = Router(tags=["orders"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/{store}/orders/{number}", response={200: OrderOut, **ERRORS}, summary="Read an order")
def read_order(request: HttpRequest, store: str, number: str):
    store_id = request.auth.store_id(store, Scope.ORDERS_READ)
    order = order_detail(store_id=store_id, number=number)
    if order is None:
        raise NotFound("Not found.")
    return order


@router.put(
    "/{store}/orders/external/{external_id}",
    response={200: OrderUpsertOut, 201: OrderUpsertOut, **ERRORS},
    summary="Create or update an order by the platform's id (idempotent)",
)
def upsert(request: HttpRequest, store: str, external_id: str, payload: OrderIn):
    store_id = request.auth.store_id(store, Scope.ORDERS_WRITE)
    result = upsert_order(
        store=Store.objects.get(pk=store_id),
        external_id=external_id,
        data=payload,
        actor=request.auth.actor,
    )
    order = order_detail(store_id=store_id, number=result.order.number)
    status = 201 if result.created else 200
    return Status(status, {"created": result.created, "changed": result.changed, "order": order})
