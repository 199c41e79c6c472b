from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from retour.accounts.scopes import Scope
from retour.api.schemas import (
    ErrorOut,
    InspectIn,
    LabelIn,
    ReasonIn,
    ReceiveIn,
    RejectIn,
    ResolveIn,
    ReturnIn,
    ReturnOut,
    ReturnPage,
)
from retour.core.errors import NotFound
from retour.returns import services
from retour.returns.models import Return
from retour.returns.selectors import find_order, find_return, return_detail, returns_for_stores

router = Router(tags=["returns"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_PAGE = 200


def _return(store_id: int, rma: str) -> Return:
    return_request = find_return(store_id=store_id, rma=rma)
    if return_request is None:
        raise NotFound("Not found.")
    return return_request


def _detail(return_request: Return) -> Return:
    return _detail_or_404(return_request.store_id, return_request.rma)


def _detail_or_404(store_id: int, rma: str) -> Return:
    return_request = return_detail(store_id=store_id, rma=rma)
    if return_request is None:
        raise NotFound("Not found.")
    return return_request


@router.post("/{store}/returns", response={201: ReturnOut, **ERRORS}, summary="Open a return")
def create_return(request: HttpRequest, store: str, payload: ReturnIn):
    store_id = request.auth.store_id(store, Scope.RETURNS_WRITE)
    order = find_order(store_id=store_id, number=payload.order_number)
    if order is None:
        raise NotFound("Not found.")
    return_request = services.create_return(
        order=order,
        lines=[
            services.LineRequest(
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                reason_code=line.reason,
                comment=line.comment,
                resolution=line.resolution,
                photos=line.photos,
            )
            for line in payload.lines
        ],
        method=payload.method,
        resolution=payload.resolution,
        locale=payload.locale,
        actor=request.auth.actor,
    )
    return Status(201, _detail(return_request))


class ReturnFilters(Schema):
    status: str | None = None
    order_number: str | None = None
    cursor: int | None = None
    limit: int = 50


@router.get(
    "/{store}/returns", response={200: ReturnPage, **ERRORS}, summary="List returns, newest first"
)
def list_returns(request: HttpRequest, store: str, filters: Query[ReturnFilters]):
    store_id = request.auth.store_id(store, Scope.RETURNS_READ)
    queryset = returns_for_stores([store_id]).order_by("-id")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.order_number:
        queryset = queryset.filter(order__number=filters.order_number)
    if filters.cursor:
        queryset = queryset.filter(id__lt=filters.cursor)
    limit = max(1, min(filters.limit, MAX_PAGE))
    items = list(queryset[: limit + 1])
    next_cursor = items[limit - 1].id if len(items) > limit else None
    return {"items": items[:limit], "next_cursor": next_cursor}


@router.get("/{store}/returns/{rma}", response={200: ReturnOut, **ERRORS}, summary="Read a return")
def read_return(request: HttpRequest, store: str, rma: str):
    return _detail_or_404(request.auth.store_id(store, Scope.RETURNS_READ), rma)


def _action(path: str, scope: str, summary: str):
    """Declare a lifecycle action route: check the scope, load the return, call the service."""

    def register(handler):
        def view(request: HttpRequest, store: str, rma: str, **body):
            return_request = _return(request.auth.store_id(store, scope), rma)
            handler(return_request, request.auth.actor, **body)
            return _detail(return_request)

        view.__name__ = handler.__name__
        view.__signature__ = _signature_with_body(handler)
        router.post(
            f"/{{store}}/returns/{{rma}}/{path}",
            response={200: ReturnOut, **ERRORS},
            summary=summary,
        )(view)
        return handler

    return register


def _signature_with_body(handler):
    import inspect

    params = [
        inspect.Parameter(
            "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest
        ),
        inspect.Parameter("store", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
        inspect.Parameter("rma", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
    ]
    body = [p for name, p in inspect.signature(handler).parameters.items() if name == "payload"]
    return inspect.Signature(params + body)


@_action("review", Scope.RETURNS_REVIEW, "Send a return to manual review")
def review(return_request, actor, payload: ReasonIn):
    services.send_to_review(return_request=return_request, actor=actor, reason=payload.reason)


@_action("approve", Scope.RETURNS_REVIEW, "Approve a return")
def approve(return_request, actor, payload: ReasonIn):
    services.approve_return(return_request=return_request, actor=actor, note=payload.reason)


@_action("reject", Scope.RETURNS_REVIEW, "Reject a return, with the reason told to the shopper")
def reject(return_request, actor, payload: RejectIn):
    services.reject_return(return_request=return_request, actor=actor, reason=payload.reason)


@_action("cancel", Scope.RETURNS_WRITE, "Cancel a return before its parcel ships")
def cancel(return_request, actor, payload: ReasonIn):
    services.cancel_return(return_request=return_request, actor=actor, reason=payload.reason)


@_action("label", Scope.RETURNS_LOGISTICS, "Record the label made for the parcel")
def label(return_request, actor, payload: LabelIn):
    services.record_label(
        return_request=return_request,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        actor=actor,
    )


@_action("in-transit", Scope.RETURNS_LOGISTICS, "The carrier has the parcel")
def in_transit(return_request, actor):
    services.mark_in_transit(return_request=return_request, actor=actor)


@_action("delivered", Scope.RETURNS_LOGISTICS, "The parcel reached the warehouse")
def delivered(return_request, actor):
    services.mark_delivered(return_request=return_request, actor=actor)


@_action("receive", Scope.RETURNS_RECEIVE, "Record what arrived, line by line")
def receive(return_request, actor, payload: ReceiveIn):
    services.receive_lines(
        return_request=return_request,
        receipts=[services.LineReceipt(line.line_id, line.received_qty) for line in payload.lines],
        actor=actor,
    )


@_action("inspect", Scope.RETURNS_RECEIVE, "Record what is accepted, line by line")
def inspect_(return_request, actor, payload: InspectIn):
    services.inspect_lines(
        return_request=return_request,
        inspections=[services.LineInspection(**line.dict()) for line in payload.lines],
        actor=actor,
    )


@_action("resolve", Scope.RETURNS_RESOLVE, "Record how the return was settled")
def resolve(return_request, actor, payload: ResolveIn):
    services.resolve_return(
        return_request=return_request,
        actor=actor,
        outcome=payload.outcome,
        reference=payload.reference,
    )


@_action("close", Scope.RETURNS_RESOLVE, "Close a resolved return")
def close(return_request, actor):
    services.close_return(return_request=return_request, actor=actor)
