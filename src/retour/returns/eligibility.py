"""Evaluate an order against its store's return policy: the facts come from the database here,
the decision from the pure engine (`retour.policy.engine`).

`policy` sits below `returns` and cannot read returns, so this module gathers what the engine
needs — returnable quantities, delivery dates, the shopper's history and risk — and passes it
in. Two queries whatever the order's size: the order (with its store, current policy version
and the shopper's history as annotations) and its lines (with quantities and dates).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    DateTimeField,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
)
from django.utils import timezone

from retour.commerce.models import FulfillmentLine, Order, OrderLine
from retour.core.prepared import PreparedQuery
from retour.policy.engine import (
    Choice,
    CompiledPolicy,
    LineChoice,
    LineFacts,
    OrderDecision,
    OrderFacts,
    ShopperFacts,
    evaluate,
)
from retour.policy.models import PolicyVersion
from retour.policy.selectors import compiled, latest_version_id
from retour.policy.simulate import Case, Report, simulate
from retour.returns.models import Return, ReturnLine, ReturnReason, WithdrawalLine
from retour.returns.risk import Risk, assess, history_annotations
from retour.returns.selectors import order_lines_with_quantities


@dataclass(frozen=True)
class Evaluation:
    """A decision with what it was decided under, ready to be stored on a return."""

    decision: OrderDecision
    version: PolicyVersion | None
    risk: Risk | None  # None when no rule reads the shopper's history (it was not loaded)
    evaluated_at: datetime

    def as_json(self, *, enforced: bool = True) -> dict:
        return {
            **self.decision.as_json(),
            "policy_version": self.version.number if self.version else None,
            "evaluated_at": self.evaluated_at.isoformat(),
            "enforced": enforced,
            "risk": self.risk.as_json() if self.risk else None,
        }


def _policy_subquery(field: str, output_field=None) -> Subquery:
    latest = PolicyVersion.objects.filter(store_id=OuterRef("store_id")).order_by("-number")
    return Subquery(latest.values(field)[:1], output_field=output_field)


def _order_queryset(order_id: int, *, lock: bool, flag_returns: bool = False) -> QuerySet[Order]:
    queryset = Order.objects.select_related("store").annotate(
        policy_version_id=latest_version_id(),
        # As text: parsed only when this version is not in the compiled-policy cache yet.
        policy_document=_policy_subquery("document", TextField()),
        policy_created_at=_policy_subquery("created_at", DateTimeField()),
        policy_number=_policy_subquery("number", IntegerField()),
    )
    if lock:
        # of=("self",): lock the order, not the store row joined for its settings.
        queryset = queryset.select_for_update(of=("self",))
    if flag_returns:  # whether any return was ever opened for the order (shopper's pages)
        queryset = queryset.annotate(
            has_returns=Exists(Return.objects.filter(order=OuterRef("pk")))
        )
    return queryset.filter(pk=order_id)


# What the shopper's pages show of a line beyond the engine's facts (options, picture, tax).
DISPLAY_FIELDS = ("options", "tax", "variant__options", "variant__product__image_url")


def _lines_queryset(order_id: int, *, display: bool = False) -> QuerySet[OrderLine]:
    shipments = FulfillmentLine.objects.filter(order_line=OuterRef("pk")).order_by()
    last = shipments.values("order_line").annotate(
        delivered=Max("fulfillment__delivered_at"), shipped=Max("fulfillment__shipped_at")
    )
    # Only what the engine and the quantity check read: fewer columns, no JSON to decode but
    # the product's tags.
    fields = ["id", "order_id", "variant_id", "sku", "title", "quantity", "unit_price"]
    product = ["id", "external_id", "category", "tags", "final_sale"]
    only = [*fields, "discount", "variant__id", "variant__product_id"]
    only += [f"variant__product__{name}" for name in product]
    if display:
        only += DISPLAY_FIELDS
    withdrawn = (
        WithdrawalLine.objects.filter(order_line=OuterRef("pk"))
        .order_by()
        .values("order_line")
        .annotate(first=Min("withdrawal__notified_at"))
    )
    return (
        order_lines_with_quantities(order_id)
        .only(*only)
        .annotate(
            last_delivered_at=Subquery(last.values("delivered")[:1]),
            last_shipped_at=Subquery(last.values("shipped")[:1]),
            withdrawn_at=Subquery(withdrawn.values("first")[:1]),
        )
    )


def _history_queryset(order_id: int) -> QuerySet[Order]:
    return Order.objects.only("id").annotate(**history_annotations()).filter(pk=order_id)


_ORDER = PreparedQuery(lambda order_id: _order_queryset(order_id, lock=False))
_LOCKED_ORDER = PreparedQuery(lambda order_id: _order_queryset(order_id, lock=True))
_FLAGGED_ORDER = PreparedQuery(
    lambda order_id: _order_queryset(order_id, lock=False, flag_returns=True)
)
_HISTORY = PreparedQuery(_history_queryset)
_LINES = PreparedQuery(_lines_queryset)
_DISPLAY_LINES = PreparedQuery(lambda order_id: _lines_queryset(order_id, display=True))


def order_with_facts(
    order_id: int,
    *,
    lock: bool = False,
    history: bool | None = None,
    flag_returns: bool = False,
) -> Order:
    """The order with its store and its store's current policy version, in one query; plus its
    shopper's history (a second query) when `history` is set or, by default, when a rule of the
    policy reads it. With `lock`, the order row is locked for the caller's transaction (the
    lock every return and claim of the order queues on). With `flag_returns`, `has_returns`
    tells whether a return was ever opened for it (so a page lists them only when there are)."""
    if lock and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock=True needs the caller's transaction")
    if lock and flag_returns:
        raise ValueError("flag_returns is for reading, not with lock=True")
    found = (_LOCKED_ORDER if lock else _FLAGGED_ORDER if flag_returns else _ORDER).run(order_id)
    if not found:
        raise Order.DoesNotExist(f"no order {order_id}")
    order = found[0]
    if history is None:
        history = compiled(_version(order)).needs_history
    if history:
        annotated = _HISTORY.run(order_id)[0]
        for name in history_annotations():
            setattr(order, name, getattr(annotated, name))
    return order


def shopper_risk(order: Order) -> Risk:
    """The risk signals of an order's shopper, as staff see them (one query)."""
    return assess(_HISTORY.run(order.pk)[0])


def lines_with_facts(order_id: int, *, display: bool = False) -> list[OrderLine]:
    """`order_lines_with_quantities` plus each line's last shipment and delivery dates; with
    `display`, also what the shopper's pages show (`DISPLAY_FIELDS`), in the same query."""
    return (_DISPLAY_LINES if display else _LINES).run(order_id)


def _version(order: Order) -> PolicyVersion | None:
    if order.policy_version_id is None:
        return None
    return PolicyVersion(
        pk=order.policy_version_id,
        store_id=order.store_id,
        number=order.policy_number,
        document=order.policy_document,
        created_at=order.policy_created_at,
    )


def _line_facts(line: OrderLine, returnable: int | None = None) -> LineFacts:
    product = line.variant.product if line.variant_id and line.variant else None
    quantity = line.quantity or 1
    # What one unit cost the shopper: the line's discounts are spread over its units.
    unit_price = line.unit_price - (line.discount or Decimal("0")) / quantity
    return LineFacts(
        line_id=line.pk,
        unit_price=unit_price,
        quantity=line.quantity,
        returnable_qty=line.returnable_qty if returnable is None else returnable,
        title=line.title,
        sku=line.sku,
        product=product.external_id if product else "",
        category=product.category if product else "",
        tags=frozenset(product.tags or ()) if product else frozenset(),
        final_sale=product.final_sale if product else False,
        delivered_at=line.last_delivered_at,
        shipped_at=line.last_shipped_at,
        withdrawn_at=getattr(line, "withdrawn_at", None),
    )


def order_facts(order: Order, lines: Iterable[OrderLine], risk: Risk | None) -> OrderFacts:
    country = order.shipping_country or order.store.country
    shopper = ShopperFacts(country=country)
    if risk is not None:
        shopper = ShopperFacts(
            country=country,
            past_orders=risk.past_orders,
            past_returns=risk.past_returns,
            return_rate=risk.return_rate,
            risk_score=risk.score,
            signals=tuple(signal.name for signal in risk.signals),
        )
    return OrderFacts(
        placed_at=order.placed_at,
        total=order.total,
        currency=order.currency,
        timezone=order.store.timezone,
        lines=tuple(_line_facts(line) for line in lines),
        shopper=shopper,
    )


@dataclass(frozen=True)
class RequestedLine:
    order_line_id: int
    quantity: int
    reason: ReturnReason | None = None
    resolution: str = ""


def make_choice(*, method: str, resolution: str, lines: Sequence[RequestedLine]) -> Choice:
    """The shopper's request in the engine's terms (reasons with their catalogue settings)."""
    choices: dict[int, LineChoice] = {}
    for line in lines:
        reason = line.reason
        parent = reason.parent if reason is not None and reason.parent_id else None
        choices[line.order_line_id] = LineChoice(
            quantity=line.quantity,
            reason=reason.code if reason else "",
            reason_parent=parent.code if parent else "",
            merchant_fault=bool(reason and reason.merchant_fault),
            requires_photo=bool(reason and reason.requires_photo),
            requires_comment=bool(reason and reason.requires_comment),
            resolution=line.resolution,
        )
    return Choice(method=method, resolution=resolution, lines=choices)


def evaluate_loaded(
    order: Order,
    lines: Iterable[OrderLine],
    *,
    choice: Choice | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Evaluate an order loaded by `order_with_facts` and `lines_with_facts` (no query)."""
    version = _version(order)
    policy: CompiledPolicy = compiled(version)
    risk = assess(order) if hasattr(order, "risk_recent_orders") else None
    now = now or timezone.now()
    decision = evaluate(policy, order_facts(order, lines, risk), now, choice)
    return Evaluation(decision=decision, version=version, risk=risk, evaluated_at=now)


def evaluate_order(
    order: Order | int,
    *,
    choice: Choice | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """What the portal, the dashboard and the API show for an order: two queries."""
    order_id = order if isinstance(order, int) else order.pk
    loaded = order_with_facts(order_id)
    return evaluate_loaded(loaded, lines_with_facts(order_id), choice=choice, now=now)


def refused_lines(decision: OrderDecision, chosen: Mapping[int, object]) -> list[dict]:
    """The chosen lines the policy refuses, each with its reasons (message ids and params)."""
    refused = []
    for line_id in chosen:
        line = decision.line(line_id)
        if line.acceptable:
            continue
        messages = line.problems if line.eligible else line.messages
        refused.append({"line": line_id, "messages": [m.as_dict() for m in messages]})
    return refused


# --- Simulation: a draft policy on the store's past returns ------------------------------------


def _simulation_case(return_request, lines: list) -> Case:
    order = return_request.order
    facts = []
    for returned in lines:
        # What the shopper could return then: at least what they did return.
        facts.append(_line_facts(returned.order_line, returnable=returned.quantity))
    order_facts_ = OrderFacts(
        placed_at=order.placed_at,
        total=order.total,
        currency=order.currency,
        timezone=order.store.timezone,
        lines=tuple(facts),
        # Past risk is not replayed: rules on risk see a neutral shopper.
        shopper=ShopperFacts(country=order.shipping_country or order.store.country),
    )
    choice = make_choice(
        method=return_request.method,
        resolution=return_request.resolution,
        lines=[RequestedLine(r.order_line_id, r.quantity, r.reason, r.resolution) for r in lines],
    )
    return Case(order=order_facts_, at=return_request.created_at, choice=choice)


def simulation_cases(store_id: int, *, limit: int = 1000) -> list[Case]:
    """The store's last `limit` returns as simulation cases, in one query."""
    recent = Return.objects.filter(store_id=store_id).order_by("-created_at").values("pk")[:limit]
    shipments = FulfillmentLine.objects.filter(order_line=OuterRef("order_line_id")).order_by()
    last = shipments.values("order_line").annotate(
        delivered=Max("fulfillment__delivered_at"), shipped=Max("fulfillment__shipped_at")
    )
    rows = (
        ReturnLine.objects.filter(return_request__in=Subquery(recent))
        .select_related(
            "return_request__order__store", "order_line__variant__product", "reason__parent"
        )
        .annotate(
            delivered=Subquery(last.values("delivered")[:1]),
            shipped=Subquery(last.values("shipped")[:1]),
        )
        .order_by("return_request_id", "id")
    )
    grouped: dict[int, list] = {}
    for row in rows:
        row.order_line.last_delivered_at = row.delivered
        row.order_line.last_shipped_at = row.shipped
        grouped.setdefault(row.return_request_id, []).append(row)
    return [_simulation_case(lines[0].return_request, lines) for lines in grouped.values()]


def simulate_policy(store_id: int, document: dict, *, limit: int = 1000) -> Report:
    """What a draft policy (validated here) would have done to the store's last returns."""
    from retour.policy.services import validate_document

    return simulate(validate_document(document), simulation_cases(store_id, limit=limit))
