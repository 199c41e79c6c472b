"""Labels, tracking webhooks, pickups and documents (issue 5); the rules live in
`retour.logistics.services`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from retour.accounts.scopes import Scope
from retour.api.lookups import scoped_return
from retour.api.schemas import ErrorOut
from retour.commerce.models import Warehouse
from retour.core.errors import NotFound
from retour.logistics import services
from retour.logistics.documents import (
    render_packing_slip_pdf,
    render_pickup_manifest_pdf,
)
from retour.logistics.models import Shipment
from retour.logistics.selectors import return_label
from retour.returns.models import Return

router = Router(tags=["logistics"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 502: ErrorOut}


class ShipmentOut(Schema):
    id: int
    status: str
    carrier: str
    carrier_name: str
    service: str
    tracking_number: str
    tracking_url: str
    tracking_status: str
    rate: Decimal
    currency: str
    warehouse: str | None
    last_error: str
    created_at: dt.datetime

    @staticmethod
    def resolve_carrier(obj: Shipment) -> str:
        return obj.account.kind

    @staticmethod
    def resolve_warehouse(obj: Shipment) -> str | None:
        return obj.warehouse.code if obj.warehouse else None


class PickupIn(Schema):
    date: dt.date
    phone: str = ""


class PickupOut(Schema):
    id: int
    date: dt.date
    status: str
    confirmation: str


class DropOffPointOut(Schema):
    id: str
    name: str
    address: str
    postcode: str
    city: str
    country: str
    distance_m: int | None = None


class WebhookOut(Schema):
    received: int


def _return(request: HttpRequest, store: str, rma: str, scope: str) -> Return:
    # Labels and documents read the store, the order and the shopper.
    return scoped_return(request, store, rma, scope, "store", "order", "customer")


def _label(return_request: Return) -> Shipment:
    shipment = return_label(return_request)
    if shipment is None:
        raise services.NoLabel("This return has no label.")
    return shipment


def _label_change(
    request: HttpRequest, store: str, rma: str, change: Callable[..., Shipment]
) -> Shipment:
    """Issue or void the return's label (`change`: the service) and give back the shipment."""
    return_request = _return(request, store, rma, Scope.RETURNS_LOGISTICS)
    shipment = change(return_request=return_request, actor=request.auth.actor)
    return Shipment.objects.select_related("account", "warehouse").get(pk=shipment.pk)


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post(
    "/stores/{store}/returns/{rma}/label/issue",
    response={201: ShipmentOut, **ERRORS},
    summary="Make the return's label with the store's routed carrier",
)
def issue_label(request: HttpRequest, store: str, rma: str):
    return 201, _label_change(request, store, rma, services.issue_label)


@router.get(
    "/stores/{store}/returns/{rma}/shipment",
    response={200: ShipmentOut, **ERRORS},
    summary="The return's current label and tracking",
)
def read_shipment(request: HttpRequest, store: str, rma: str):
    return _label(_return(request, store, rma, Scope.RETURNS_READ))


@router.post(
    "/stores/{store}/returns/{rma}/label/void",
    response={200: ShipmentOut, **ERRORS},
    summary="Void the return's label at the carrier",
)
def void_label(request: HttpRequest, store: str, rma: str):
    return _label_change(request, store, rma, services.void_label)


@router.get(
    "/stores/{store}/returns/{rma}/label.pdf",
    response={200: bytes, **ERRORS},
    summary="The label as PDF",
)
def label_pdf(request: HttpRequest, store: str, rma: str):
    return_request = _return(request, store, rma, Scope.RETURNS_READ)
    return _file(_label(return_request).label_pdf, "application/pdf", f"{return_request.rma}.pdf")


@router.get(
    "/stores/{store}/returns/{rma}/label.zpl",
    response={200: bytes, **ERRORS},
    summary="The label as ZPL, for thermal printers",
)
def label_zpl(request: HttpRequest, store: str, rma: str):
    return_request = _return(request, store, rma, Scope.RETURNS_READ)
    shipment = _label(return_request)
    if not shipment.label_zpl:
        raise NotFound("This carrier gave no ZPL label.")
    return _file(shipment.label_zpl, "application/zpl", f"{return_request.rma}.zpl")


@router.get(
    "/stores/{store}/returns/{rma}/packing-slip.pdf",
    response={200: bytes, **ERRORS},
    summary="The A4 packing slip to put in the box",
)
def packing_slip_pdf(request: HttpRequest, store: str, rma: str):
    return_request = _return(request, store, rma, Scope.RETURNS_READ)
    content = render_packing_slip_pdf(
        services.packing_slip(return_request), return_request.locale[:2] or None
    )
    return _file(content, "application/pdf", f"{return_request.rma}-packing-slip.pdf")


@router.post(
    "/stores/{store}/returns/{rma}/pickup",
    response={201: PickupOut, **ERRORS},
    summary="Book a carrier pickup at the shopper's address",
)
def book_pickup(request: HttpRequest, store: str, rma: str, payload: PickupIn):
    return_request = _return(request, store, rma, Scope.RETURNS_LOGISTICS)
    booking = services.book_pickup(
        return_request=return_request,
        date=payload.date,
        phone=payload.phone,
        actor=request.auth.actor,
    )
    return 201, booking


@router.get(
    "/stores/{store}/warehouses/{code}/pickups/{date}/manifest.pdf",
    response={200: bytes, **ERRORS},
    summary="The day's pickup manifest of a warehouse, for the driver to sign",
)
def pickup_manifest(request: HttpRequest, store: str, code: str, date: dt.date):
    store_id = request.auth.store_id(store, Scope.RETURNS_LOGISTICS)
    warehouse = Warehouse.objects.filter(store_id=store_id, code=code).first()
    if warehouse is None:
        raise NotFound("Not found.")
    data = services.pickup_manifest(warehouse=warehouse, date=date)
    return _file(render_pickup_manifest_pdf(data), "application/pdf", f"manifest-{date}.pdf")


@router.get(
    "/stores/{store}/dropoff-points",
    response={200: list[DropOffPointOut], **ERRORS},
    summary="A carrier account's drop-off points near a postcode",
)
def dropoff_points(request: HttpRequest, store: str, carrier: int, postcode: str, country: str):
    """`carrier` is the id of one of the store's carrier accounts. Read-only and free at the
    carriers, it needs `returns:read` (support telling a shopper where to drop a parcel), not
    `returns:logistics`, which is for what creates or changes labels and bookings."""
    store_id = request.auth.store_id(store, Scope.RETURNS_READ)
    return services.drop_off_points(
        store_id=store_id, account_id=carrier, country=country, postcode=postcode
    )


@router.post(
    "/webhooks/carriers/{kind}/{account_id}",
    auth=None,
    response={200: WebhookOut, 401: ErrorOut, 422: ErrorOut},
    summary="A carrier's tracking webhook (authenticated by the carrier's signature)",
)
def carrier_webhook(request: HttpRequest, kind: str, account_id: int):
    received = services.receive_webhook(
        kind=kind, account_id=account_id, body=request.body, headers=request.headers
    )
    return {"received": received}
