"""What the policy allows for an order, before a return is submitted (issue 3): per line, whether
it can be returned and why, until when, the resolutions and methods allowed, fees and bonus, and
the rules that fired. With the shopper's intended choice (reasons, method, resolution), the rules
that read them run too and the `problems` say what would be refused on submission."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from retour.accounts.scopes import Scope
from retour.api.schemas import ErrorOut
from retour.core.errors import InvalidRequest, NotFound
from retour.policy.messages import render
from retour.returns import eligibility
from retour.returns.choices import Resolution, ReturnMethod
from retour.returns.selectors import active_reasons, find_order

router = Router(tags=["orders"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class IntendedLine(Schema):
    order_line_id: int
    quantity: int = Field(1, ge=1)
    reason: str = ""
    resolution: str = ""


class EligibilityIn(Schema):
    method: str = ""
    resolution: str = ""
    lines: list[IntendedLine] = []
    locale: str = Field("en", pattern="^(en|fr)$")


class MessageOut(Schema):
    id: str
    params: dict
    text: str


class LineEligibilityOut(Schema):
    line: int
    eligible: bool
    case: str
    messages: list[MessageOut]
    problems: list[MessageOut]
    deadline: str | None
    legal_deadline: str | None
    returnable_qty: int
    resolutions: list[str]
    methods: list[str]
    conditions: list[str]
    restocking_fee: str
    shipping_fee: str
    bonus_percent: str
    outcome: str
    fired_rules: list[str]
    requires_photos: bool
    requires_comment: bool


class EligibilityOut(Schema):
    order_number: str
    currency: str
    outcome: str
    message: dict | None
    fired_rules: list[str]
    policy_version: int | None
    evaluated_at: str
    lines: list[LineEligibilityOut]


def _check(payload: EligibilityIn, number: str, line_ids: set[int]) -> None:
    if payload.method and payload.method not in ReturnMethod.values:
        raise InvalidRequest(_("Unknown return method: %s") % payload.method)
    for resolution in [payload.resolution, *(line.resolution for line in payload.lines)]:
        if resolution and resolution not in Resolution.values:
            raise InvalidRequest(_("Unknown resolution: %s") % resolution)
    seen: set[int] = set()
    for line in payload.lines:
        if line.order_line_id in seen:
            raise InvalidRequest(_("An item is listed twice."), order_line_id=line.order_line_id)
        if line.order_line_id not in line_ids:
            raise InvalidRequest(
                _("This item is not part of order %(number)s.") % {"number": number},
                order_line_id=line.order_line_id,
            )
        seen.add(line.order_line_id)


def _choice(store_id: int, payload: EligibilityIn) -> eligibility.Choice:
    codes = {line.reason for line in payload.lines if line.reason}
    reasons = {r.code: r for r in active_reasons(store_id) if r.code in codes} if codes else {}
    if unknown := codes - set(reasons):
        raise InvalidRequest(
            _("Unknown return reason: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        )
    return eligibility.make_choice(
        method=payload.method,
        resolution=payload.resolution,
        lines=[
            eligibility.RequestedLine(
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                reason=reasons.get(line.reason),
                resolution=line.resolution,
            )
            for line in payload.lines
        ],
    )


def _with_texts(messages: list[dict], locale: str) -> list[dict]:
    return [{**message, "text": render(message, locale)} for message in messages]


@router.post(
    "/{store}/orders/{number}/eligibility",
    response={200: EligibilityOut, **ERRORS},
    summary="Explain what the return policy allows for an order (before submitting a return)",
)
def explain(request: HttpRequest, store: str, number: str, payload: EligibilityIn):
    store_id = request.auth.store_id(store, Scope.ORDERS_READ)
    order = find_order(store_id=store_id, number=number)
    if order is None:
        raise NotFound("Not found.")
    loaded = eligibility.order_with_facts(order.pk)
    lines = eligibility.lines_with_facts(order.pk)
    _check(payload, order.number, {line.pk for line in lines})
    choice = _choice(store_id, payload) if payload.lines or payload.method else None
    evaluation = eligibility.evaluate_loaded(loaded, lines, choice=choice)
    data = evaluation.as_json()
    for line in data["lines"]:
        line["messages"] = _with_texts(line["messages"], payload.locale)
        line["problems"] = _with_texts(line["problems"], payload.locale)
    return {"order_number": order.number, "currency": order.currency, **data}
