from django.http import HttpRequest
from ninja import Router, Status

from retour.accounts.scopes import Scope
from retour.api.schemas import ClaimDecisionIn, ClaimIn, ClaimOut, ErrorOut
from retour.core.errors import NotFound
from retour.refunds.claims import decide_claim as settle_claim
from retour.returns import services
from retour.returns.models import Claim
from retour.returns.selectors import find_order

router = Router(tags=["claims"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _claim(store_id: int, number: str) -> Claim:
    claim = (
        Claim.objects.filter(store_id=store_id, number=number.upper())
        .select_related("order")
        .prefetch_related("lines", "refunds")
        .first()
    )
    if claim is None:
        raise NotFound("Not found.")
    return claim


@router.post("/{store}/claims", response={201: ClaimOut, **ERRORS}, summary="Report a problem")
def create_claim(request: HttpRequest, store: str, payload: ClaimIn):
    store_id = request.auth.store_id(store, Scope.RETURNS_WRITE)
    order = find_order(store_id=store_id, number=payload.order_number)
    if order is None:
        raise NotFound("Not found.")
    claim = services.create_claim(
        order=order,
        kind=payload.kind,
        description=payload.description,
        lines=[services.LineRequest(line.order_line_id, line.quantity) for line in payload.lines],
        actor=request.auth.actor,
    )
    return Status(201, _claim(store_id, claim.number))


@router.get("/{store}/claims/{number}", response={200: ClaimOut, **ERRORS}, summary="Read a claim")
def read_claim(request: HttpRequest, store: str, number: str):
    return _claim(request.auth.store_id(store, Scope.RETURNS_READ), number)


@router.post(
    "/{store}/claims/{number}/decide", response={200: ClaimOut, **ERRORS}, summary="Decide a claim"
)
def decide_claim(request: HttpRequest, store: str, number: str, payload: ClaimDecisionIn):
    store_id = request.auth.store_id(store, Scope.RETURNS_REVIEW)
    claim = settle_claim(
        claim=_claim(store_id, number),
        actor=request.auth.actor,
        approve=payload.approve,
        resolution=payload.resolution,
        reason=payload.reason,
    )
    return _claim(store_id, claim.number)
