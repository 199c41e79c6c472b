"""The warehouse's API: find a parcel by a scan, receive it, inspect and dispose of each unit,
and the reports. Every route needs `returns:receive`."""

from datetime import date
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema

from retour.accounts.scopes import Scope
from retour.api.lookups import return_of_store, scoped_return
from retour.api.schemas import ErrorOut
from retour.commerce.models import Store, Warehouse
from retour.core.errors import Conflict, NotFound
from retour.returns.models import Return
from retour.warehouse import reports, services
from retour.warehouse.models import InspectionUnit
from retour.warehouse.selectors import return_for_scan

router = Router(tags=["warehouse"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
W = "/{store}/warehouse"


class StationLineOut(Schema):
    id: int
    sku: str
    barcode: str
    title: str
    quantity: int
    received_qty: int
    accepted_qty: int
    status: str

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.order_line.sku

    @staticmethod
    def resolve_barcode(obj) -> str:
        variant = obj.order_line.variant
        return variant.barcode if variant else ""

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.order_line.title


class StationReturnOut(Schema):
    rma: str
    status: str
    order_number: str
    tracking_number: str
    lines: list[StationLineOut]

    @staticmethod
    def resolve_order_number(obj) -> str:
        return obj.order.number

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


class ReceiptLineIn(Schema):
    line_id: int
    received_qty: int = Field(ge=0)


class ExtraIn(Schema):
    kind: str = Field(description="extra or wrong_item")
    code: str = Field("", max_length=100)
    quantity: int = Field(1, ge=1)
    note: str = Field("", max_length=2000)


class ReceiveParcelIn(Schema):
    warehouse: str = Field("", description="The warehouse's code; empty: the default one")
    lines: list[ReceiptLineIn]
    extras: list[ExtraIn] = []
    scanned: list[str] = Field([], max_length=500)


class DiscrepancyOut(Schema):
    kind: str
    code: str
    quantity: int
    return_line_id: int | None


class ReceiptOut(Schema):
    rma: str
    warehouse: str
    expected_units: int
    received_units: int
    discrepancies: list[DiscrepancyOut]

    @staticmethod
    def resolve_rma(obj) -> str:
        return obj.return_request.rma

    @staticmethod
    def resolve_warehouse(obj) -> str:
        return obj.warehouse.code

    @staticmethod
    def resolve_discrepancies(obj) -> list:
        return list(obj.discrepancies.all())


class InspectIn(Schema):
    grade: str = Field(max_length=10)
    checklist: dict[str, bool] = {}
    notes: str = Field("", max_length=5000)
    photos: list[str] = Field([], max_length=20)
    outcome: str = Field("", description="full, partial or refused; empty: the grade's")
    deduction: Decimal | None = None
    reason: str = Field("", max_length=2000)


class DispositionIn(Schema):
    disposition: str = Field("", description="Empty: the rules' suggestion")
    override_reason: str = Field("", max_length=2000)
    derogations: list[str] = []
    note: str = Field("", max_length=2000)


class UnitOut(Schema):
    line_id: int = Field(alias="return_line_id")
    unit_index: int
    grade: str
    checklist: dict
    outcome: str
    deduction: Decimal
    reason: str
    suggested_disposition: str
    disposition: str
    legal_derogations: list[str]
    restocked_sku: str = ""

    @staticmethod
    def resolve_restocked_sku(obj) -> str:
        return obj.restocked_variant.sku if obj.restocked_variant_id else ""


@router.get(
    f"{W}/scan",
    response={200: StationReturnOut, **ERRORS},
    summary="Find the return a scan names (RMA, packing slip or tracking number)",
)
def scan(request: HttpRequest, store: str, code: str):
    store_id = request.auth.store_id(store, Scope.RETURNS_RECEIVE)
    found = return_for_scan(store_ids=[store_id], code=code)
    if found is None:
        raise NotFound("No return matches this code.")
    return found


@router.post(
    f"{W}/returns/{{rma}}/receive",
    response={201: ReceiptOut, **ERRORS},
    summary="Receive a return's parcel: what it held, what was missing, extra or wrong",
)
def receive(request: HttpRequest, store: str, rma: str, payload: ReceiveParcelIn):
    store_id = request.auth.store_id(store, Scope.RETURNS_RECEIVE)
    return_request = return_of_store(store_id, rma)
    warehouse = None
    if payload.warehouse:
        warehouse = Warehouse.objects.filter(store_id=store_id, code=payload.warehouse).first()
        if warehouse is None:
            raise NotFound("No such warehouse.")
    receipt = services.receive_parcel(
        return_request=return_request,
        warehouse=warehouse,
        quantities={line.line_id: line.received_qty for line in payload.lines},
        extras=[services.ExtraItem(**extra.dict()) for extra in payload.extras],
        scanned=payload.scanned,
        actor=request.auth.actor,
    )
    return 201, receipt


def _line(return_request: Return, line_id: int):
    line = return_request.lines.filter(pk=line_id).first()
    if line is None:
        raise NotFound("Not found.")
    return line


@router.post(
    f"{W}/returns/{{rma}}/lines/{{line_id}}/units/{{unit_index}}",
    response={201: UnitOut, **ERRORS},
    summary="Inspect one received unit: grade, checklist, photos and the refund it gets",
)
def inspect_unit(
    request: HttpRequest, store: str, rma: str, line_id: int, unit_index: int, payload: InspectIn
):
    line = _line(scoped_return(request, store, rma, Scope.RETURNS_RECEIVE), line_id)
    unit = services.inspect_unit(
        return_line=line,
        unit_index=unit_index,
        actor=request.auth.actor,
        **payload.dict(),
    )
    return 201, unit


@router.post(
    f"{W}/returns/{{rma}}/lines/{{line_id}}/units/{{unit_index}}/disposition",
    response={200: UnitOut, **ERRORS},
    summary="Decide what becomes of an inspected unit (restock, refurbish, donate…)",
)
def dispose(
    request: HttpRequest,
    store: str,
    rma: str,
    line_id: int,
    unit_index: int,
    payload: DispositionIn,
):
    line = _line(scoped_return(request, store, rma, Scope.RETURNS_RECEIVE), line_id)
    unit = InspectionUnit.objects.filter(return_line=line, unit_index=unit_index).first()
    if unit is None:
        raise Conflict("This unit is not inspected yet.", code="not_inspected")
    return services.apply_disposition(unit=unit, actor=request.auth.actor, **payload.dict())


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    f"{W}/reports/daily.csv",
    response={200: None, **ERRORS},
    summary="The day's receiving work per warehouse (CSV)",
)
def daily_report(request: HttpRequest, store: str, day: date | None = None):
    store_id = request.auth.store_id(store, Scope.RETURNS_RECEIVE)
    day = day or timezone.localdate()
    return _csv(reports.daily_csv(Store.objects.get(pk=store_id), day), f"receiving-{day}.csv")


@router.get(
    f"{W}/reports/disclosure.csv",
    response={200: None, **ERRORS},
    summary="The yearly disclosure of discarded unsold products (ESPR art. 24), CSV",
)
def disclosure_report(request: HttpRequest, store: str, year: int | None = None):
    store_id = request.auth.store_id(store, Scope.RETURNS_RECEIVE)
    year = year or timezone.localdate().year
    store_obj = Store.objects.get(pk=store_id)
    return _csv(reports.disclosure_csv(store_obj, year), f"discarded-{year}.csv")
