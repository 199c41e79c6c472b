"""The eligibility engine: for each order line, can it be returned, until when, how, for what
and at what cost — and why.

Pure: no database, no clock (the caller passes `now`), no global state. The same input always
gives the same decision, so the portal, the API and the server-side check on submission agree,
and a past decision can be explained again from the facts stored with it.

How a line is decided:

1. The window starts at delivery; without a delivery date, at shipment plus the policy's transit
   allowance; without either, at the order date. Days are counted in the store's time zone from
   the day after the start; the last day ends at 23:59:59 local time (DST-safe: dates, not
   hours, are counted).
2. The line is in one *case*, the first that applies: the legal guarantee of conformity (a
   merchant-fault reason such as "defective", for a shopper whose country has one); the legal
   withdrawal (EU/EEA: 14 days from receipt of the order's last item, whatever the shop says,
   except for the legal exceptions); the shop's commercial policy (its window, overrides and
   exclusions). No case: not eligible, with the reason.
3. The rules (`rules.py`) run on eligible lines; the law then overrides what it must.
4. Resolutions, methods, fees and bonus follow from the policy, the reason and the rules.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from retour.core.money import quantize
from retour.policy.document import Fee, Override, PolicyDocument
from retour.policy.law import EXCLUSION_LABELS, CountryLaw, Exclusion, law_for
from retour.policy.messages import CONDITION_TEXTS, Message, date_param, money_param, text_param
from retour.policy.rules import (
    METHOD_LABELS,
    RESOLUTION_LABELS,
    CompiledRule,
    RuleEffects,
    RuleSet,
    apply_rules,
    compile_rule,
)

ZERO = Decimal("0")
END_OF_DAY = time(23, 59, 59)
# Reasons that are the merchant's fault in a way the legal guarantee of conformity covers.
CONFORMITY_REASONS = frozenset({"defective", "not_as_described", "damaged", "wrong_item"})
# How a return's decision is built from its lines': the most cautious wins.
OUTCOME_PRIORITY = {"reject": 4, "review": 3, "": 2, "approve": 1, "returnless": 0}


# --- Input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFacts:
    """One order line as the engine needs it. `unit_price` is what one unit cost the shopper,
    after the line's discounts."""

    line_id: int
    unit_price: Decimal
    quantity: int = 1
    returnable_qty: int = 1
    title: str = ""
    sku: str = ""
    product: str = ""
    category: str = ""
    tags: frozenset[str] = frozenset()
    final_sale: bool = False
    delivered_at: datetime | None = None
    shipped_at: datetime | None = None
    withdrawn_at: datetime | None = None  # the first notice of withdrawal covering the line


@dataclass(frozen=True)
class ShopperFacts:
    country: str = ""
    past_orders: int = 0
    past_returns: int = 0
    return_rate: Decimal = ZERO
    risk_score: int = 0
    signals: tuple = ()


@dataclass(frozen=True)
class OrderFacts:
    placed_at: datetime
    total: Decimal
    currency: str
    lines: tuple[LineFacts, ...]
    shopper: ShopperFacts = ShopperFacts()
    timezone: str = "UTC"


@dataclass(frozen=True)
class LineChoice:
    """What the shopper asks for one line (and what the store's reason catalogue says)."""

    quantity: int
    reason: str = ""
    reason_parent: str = ""
    merchant_fault: bool = False
    requires_photo: bool = False
    requires_comment: bool = False
    resolution: str = ""


@dataclass(frozen=True)
class Choice:
    method: str = ""
    resolution: str = ""
    lines: Mapping[int, LineChoice] = field(default_factory=dict)


# --- Output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineDecision:
    line_id: int
    eligible: bool
    case: str  # "conformity", "withdrawal", "commercial", or "" when not eligible
    messages: tuple[Message, ...]
    deadline: datetime | None
    legal_deadline: datetime | None
    returnable_qty: int
    resolutions: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    restocking_fee: Decimal = ZERO
    shipping_fee: Decimal = ZERO
    bonus_percent: Decimal = ZERO
    outcome: str = ""  # "approve", "review", "reject", "returnless" or "" (staff decide)
    fired_rules: tuple[str, ...] = ()
    requires_photos: bool = False
    requires_comment: bool = False
    problems: tuple[Message, ...] = ()  # why the shopper's choice cannot be accepted

    @property
    def acceptable(self) -> bool:
        return self.eligible and not self.problems

    def as_json(self) -> dict:
        return {
            "line": self.line_id,
            "eligible": self.eligible,
            "case": self.case,
            "messages": [m.as_dict() for m in self.messages],
            "problems": [m.as_dict() for m in self.problems],
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "legal_deadline": self.legal_deadline.isoformat() if self.legal_deadline else None,
            "returnable_qty": self.returnable_qty,
            "resolutions": list(self.resolutions),
            "methods": list(self.methods),
            "conditions": list(self.conditions),
            "restocking_fee": str(self.restocking_fee),
            "shipping_fee": str(self.shipping_fee),
            "bonus_percent": str(self.bonus_percent),
            "outcome": self.outcome,
            "fired_rules": list(self.fired_rules),
            "requires_photos": self.requires_photos,
            "requires_comment": self.requires_comment,
        }


@dataclass(frozen=True)
class OrderDecision:
    lines: tuple[LineDecision, ...]
    outcome: str
    message: dict | None = None  # the rejecting rule's message, per language

    def line(self, line_id: int) -> LineDecision:
        return next(decision for decision in self.lines if decision.line_id == line_id)

    @property
    def fired_rules(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for decision in self.lines:
            seen.update(dict.fromkeys(decision.fired_rules))
        return tuple(seen)

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "fired_rules": list(self.fired_rules),
            "lines": [decision.as_json() for decision in self.lines],
        }


# --- The policy, prepared once ----------------------------------------------------------------


class CompiledPolicy:
    """A policy document with its look-ups built once (a version never changes, so callers
    cache this per PolicyVersion)."""

    def __init__(self, document: PolicyDocument) -> None:
        self.document = document
        self.rules: tuple[CompiledRule, ...] = tuple(
            compile_rule(rule) for rule in document.rules if rule.enabled
        )
        self.product_overrides = {o.product: o for o in document.overrides if o.product}
        # Longest prefix first, so "apparel/shoes" beats "apparel".
        self.category_overrides = sorted(
            (o for o in document.overrides if o.category),
            key=lambda o: len(o.category),
            reverse=True,
        )
        self.exclusion_tags: dict[str, str] = {}
        self.exclusion_categories: list[tuple[str, str]] = []
        for exclusion in document.exclusions:
            for tag in exclusion.tags:
                self.exclusion_tags.setdefault(tag, exclusion.kind)
            for category in exclusion.categories:
                self.exclusion_categories.append((category, exclusion.kind))
        self.excludes_final_sale = any(e.kind == Exclusion.FINAL_SALE for e in document.exclusions)
        # The shopper's history costs the heaviest query of a submission: read it only for rules.
        self.needs_history = any(compiled.rule.when.reads_history for compiled in self.rules)

    def override_for(self, line: LineFacts) -> Override | None:
        found = self.product_overrides.get(line.product) or self.product_overrides.get(line.sku)
        if found:
            return found
        for override in self.category_overrides:
            if _in_category(line.category, override.category):
                return override
        return None

    def exclusion_for(self, line: LineFacts) -> str | None:
        if line.final_sale and self.excludes_final_sale:
            return Exclusion.FINAL_SALE
        for tag in line.tags:
            if tag in self.exclusion_tags:
                return self.exclusion_tags[tag]
        for category, kind in self.exclusion_categories:
            if _in_category(line.category, category):
                return kind
        return None


def _in_category(category: str, prefix: str) -> bool:
    return category == prefix or category.startswith(prefix.rstrip("/") + "/")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


# --- Views the rules read ---------------------------------------------------------------------


@dataclass
class OrderView:
    total: Decimal
    country: str
    past_returns: int
    return_rate: Decimal
    risk_score: int
    method: str | None


@dataclass
class LineView:
    unit_price: Decimal
    value: Decimal
    quantity: int
    reason: str | None
    reason_parent: str | None
    category: str
    tags: frozenset[str]
    days: int
    resolution: str | None
    label_cost: Decimal | None


# --- Evaluation -------------------------------------------------------------------------------


def evaluate(
    policy: CompiledPolicy | PolicyDocument,
    order: OrderFacts,
    now: datetime,
    choice: Choice | None = None,
) -> OrderDecision:
    """Decide every line of `order` at `now` (an aware datetime). With a `choice` (the shopper's
    request), also check it and apply the rules that depend on reason, method and resolution."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(policy, PolicyDocument):
        policy = CompiledPolicy(policy)
    choice = choice or Choice()
    ctx = _Context.build(policy, order, now, choice)
    decisions = tuple(_decide_line(ctx, line) for line in order.lines)
    return _combine(decisions, ctx)


@dataclass
class _Context:
    policy: CompiledPolicy
    order: OrderFacts
    choice: Choice
    zone: ZoneInfo
    today: date
    law: CountryLaw
    legal_start: date | None
    rules: RuleSet
    decided_messages: dict = field(default_factory=dict)

    @classmethod
    def build(cls, policy, order, now, choice) -> "_Context":
        zone = _zone(order.timezone)
        document = policy.document
        starts = [_start(line, order, document, zone) for line in order.lines]
        view = OrderView(
            total=order.total,
            country=(order.shopper.country or "").upper(),
            past_returns=order.shopper.past_returns,
            return_rate=order.shopper.return_rate,
            risk_score=order.shopper.risk_score,
            method=choice.method or None,
        )
        # Order-wide conditions are checked once here, not once per line.
        rules = RuleSet(
            tuple(r for r in policy.rules if all(check(view) for check in r.order_checks))
        )
        return cls(
            policy=policy,
            order=order,
            choice=choice,
            zone=zone,
            today=now.astimezone(zone).date(),
            law=law_for(order.shopper.country),
            # The legal period runs from receipt of the order's last item (2011/83/EU art. 9).
            legal_start=max(starts) if starts else None,
            rules=rules,
        )


def _start(line: LineFacts, order: OrderFacts, document: PolicyDocument, zone: ZoneInfo) -> date:
    """The local date the line's window counts from."""
    if line.delivered_at is not None:
        moment = line.delivered_at
    elif line.shipped_at is not None:
        moment = line.shipped_at + timedelta(days=document.transit_allowance_days)
    else:
        moment = order.placed_at
    return moment.astimezone(zone).date()


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


@dataclass
class _Case:
    name: str
    last_day: date | None
    legal_last_day: date | None
    messages: list[Message]
    conditions: list[str]
    start: date
    override: Override | None


def _case(ctx: _Context, line: LineFacts, chosen: LineChoice | None) -> _Case:
    """Which regime applies to the line today, and the messages that explain it."""
    document, law = ctx.policy.document, ctx.law
    override = ctx.policy.override_for(line)
    exclusion = ctx.policy.exclusion_for(line)
    start = _start(line, ctx.order, document, ctx.zone)
    window = override.window_days if override and override.window_days is not None else None
    last_day = start + timedelta(days=document.window_days if window is None else window)
    conditions = list(
        override.conditions if override and override.conditions else document.conditions
    )
    messages: list[Message] = []
    if exclusion == Exclusion.UNSEALED_HYGIENE:
        # Returnable while sealed: whether it was opened is only known at inspection.
        conditions = [*conditions, "sealed"] if "sealed" not in conditions else conditions
        exclusion = None
    legal_last_day = None
    if law.has_withdrawal and ctx.legal_start is not None:
        legal_last_day = ctx.legal_start + timedelta(days=law.withdrawal_days)
    reason = chosen.reason if chosen else ""
    parent = chosen.reason_parent if chosen else ""
    if law.conformity_years and (reason in CONFORMITY_REASONS or parent in CONFORMITY_REASONS):
        conformity_last = _add_years(start, law.conformity_years)
        if ctx.today <= conformity_last:
            deadline = date_param(conformity_last)
            messages.append(Message("conformity", {"deadline": deadline}))
            return _Case(
                "conformity", conformity_last, legal_last_day, messages, conditions, start, override
            )
    legal_exception = exclusion in law.legal_exceptions if exclusion else False
    if legal_last_day is not None and line.withdrawn_at is not None:
        # Withdrawn (in time: `returns.withdrawals` checks it): the goods may then be sent back
        # within the law's days of the notice, even after the withdrawal period.
        notice_day = line.withdrawn_at.astimezone(ctx.zone).date()
        legal_last_day = max(legal_last_day, notice_day + timedelta(days=law.return_goods_days))
    if legal_last_day is not None and ctx.today <= legal_last_day and not legal_exception:
        params = {"deadline": date_param(legal_last_day), "citation": law.citation}
        messages.append(Message("withdrawal", params))
        # The shop may be more generous than the law: its own window then ends later.
        commercial_open = not exclusion and (override is None or override.returnable)
        best = max(legal_last_day, last_day) if commercial_open else legal_last_day
        return _Case("withdrawal", best, legal_last_day, messages, conditions, start, override)
    if exclusion:
        label = text_param(EXCLUSION_LABELS[exclusion])
        messages.append(
            Message("legal_exception" if legal_exception else "excluded", {"kind": label})
        )
        return _Case("", None, legal_last_day, messages, conditions, start, override)
    if override is not None and not override.returnable:
        messages.append(Message("not_returnable"))
        return _Case("", None, legal_last_day, messages, conditions, start, override)
    if ctx.today > last_day:
        closed = max(last_day, legal_last_day) if legal_last_day else last_day
        messages.append(Message("window_closed", {"deadline": date_param(closed)}))
        return _Case("", closed, legal_last_day, messages, conditions, start, override)
    messages.append(Message("eligible", {"deadline": date_param(last_day)}))
    return _Case("commercial", last_day, legal_last_day, messages, conditions, start, override)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _decide_line(ctx: _Context, line: LineFacts) -> LineDecision:
    chosen = ctx.choice.lines.get(line.line_id)
    case = _case(ctx, line, chosen)
    deadline = _end_of(case.last_day, ctx.zone) if case.last_day else None
    legal = _end_of(case.legal_last_day, ctx.zone) if case.legal_last_day else None
    common = {
        "line_id": line.line_id,
        "deadline": deadline,
        "legal_deadline": legal,
        "returnable_qty": max(line.returnable_qty, 0),
    }
    if not case.name:
        return LineDecision(eligible=False, case="", messages=tuple(case.messages), **common)
    if line.returnable_qty <= 0:
        kind = "not_delivered" if line.delivered_at is None and line.quantity else "nothing_left"
        return LineDecision(eligible=False, case="", messages=(Message(kind),), **common)
    return _eligible_line(ctx, line, chosen, case, common)


def _eligible_line(ctx, line, chosen, case: _Case, common: dict) -> LineDecision:
    document = ctx.policy.document
    quantity = chosen.quantity if chosen else line.returnable_qty
    resolution = (chosen.resolution if chosen else "") or ctx.choice.resolution or None
    label_cost = document.label_costs.get(ctx.choice.method) if ctx.choice.method else None
    value = line.unit_price * quantity
    view = LineView(
        unit_price=line.unit_price,
        value=value,
        quantity=quantity,
        reason=chosen.reason if chosen and chosen.reason else None,
        reason_parent=chosen.reason_parent if chosen and chosen.reason_parent else None,
        category=line.category,
        tags=line.tags,
        days=(ctx.today - case.start).days,
        resolution=resolution,
        label_cost=label_cost,
    )
    effects = apply_rules(ctx.rules, view) if ctx.rules else RuleEffects()
    legal = case.name in ("withdrawal", "conformity")
    messages = list(case.messages)
    outcome = effects.decision or ""
    if legal and outcome == "reject":
        # A rule cannot take away a legal right: staff look at it instead.
        outcome = "review"
        messages.append(Message("withdrawal_overrides", {"deadline": date_param(case.last_day)}))
    resolutions = _resolutions(ctx, case.override, chosen, legal)
    methods = _methods(ctx, effects, outcome, legal)
    fees = _fees(ctx, case, chosen, effects, resolution, value, outcome)
    restocking, shipping = fees
    bonus = ZERO
    if "store_credit" in resolutions:
        bonus = document.store_credit_bonus_percent
        if effects.bonus_percent is not None:
            bonus = effects.bonus_percent
    messages.extend(_explain(case, effects, outcome, restocking, shipping, bonus, ctx, chosen))
    problems = _problems(ctx, line, chosen, quantity, resolution, resolutions, methods, outcome)
    return LineDecision(
        eligible=True,
        case=case.name,
        messages=tuple(messages),
        resolutions=resolutions,
        methods=methods,
        conditions=tuple(case.conditions),
        restocking_fee=restocking,
        shipping_fee=shipping,
        bonus_percent=bonus,
        outcome=outcome,
        fired_rules=effects.fired,
        requires_photos=effects.require_photos or bool(chosen and chosen.requires_photo),
        requires_comment=bool(chosen and chosen.requires_comment),
        problems=problems,
        **common,
    )


def _resolutions(ctx, override: Override | None, chosen: LineChoice | None, legal: bool) -> tuple:
    document = ctx.policy.document
    allowed = list(
        override.resolutions if override and override.resolutions else document.resolutions
    )
    if chosen:
        by_reason = document.resolutions_by_reason
        per_reason = by_reason.get(chosen.reason) or by_reason.get(chosen.reason_parent)
        if per_reason:
            allowed = [r for r in allowed if r in per_reason]
    if legal and "refund" not in allowed:
        # A withdrawal or a fault is refunded to the original means of payment on request.
        allowed.append("refund")
    return tuple(allowed)


def _methods(ctx, effects: RuleEffects, outcome: str, legal: bool) -> tuple:
    document = ctx.policy.document
    if outcome == "returnless":
        return ("keep",)
    if effects.force_method:
        return (effects.force_method,)
    country = (ctx.order.shopper.country or "").upper()
    methods = [
        m
        for m in document.methods_by_country.get(country, document.methods)
        if m not in effects.forbid_methods and m != "keep"
    ]
    if not methods and legal:
        methods = ["mail"]  # the shopper can always send the goods back by post
    return tuple(methods)


def _fees(ctx, case: _Case, chosen, effects, resolution, value, outcome) -> tuple:
    document = ctx.policy.document
    currency = ctx.order.currency
    legal = case.name in ("withdrawal", "conformity")
    restocking = ZERO
    # Nothing comes back from a returnless refund: nothing to restock.
    if not legal and outcome != "returnless" and "restocking" not in effects.waived:
        override = case.override
        fee: Fee = (
            override.restocking_fee
            if override and override.restocking_fee
            else document.restocking_fee
        )
        restocking = fee.amount(value, resolution) + effects.added_fee
    shipping = ZERO
    merchant_fault = bool(chosen and chosen.merchant_fault) or case.name == "conformity"
    free = merchant_fault or outcome == "returnless" or "shipping" in effects.waived
    if not free:
        method = ctx.choice.method or _cheapest(document)
        fee = document.shipping_fees.get(method) if method else None
        if fee is not None:
            shipping = fee.amount(value, resolution)
    return quantize(restocking, currency), quantize(shipping, currency)


def _cheapest(document: PolicyDocument) -> str | None:
    if not document.methods:
        return None
    return min(
        document.methods,
        key=lambda m: document.shipping_fees[m].flat if m in document.shipping_fees else ZERO,
    )


def _explain(case, effects, outcome, restocking, shipping, bonus, ctx, chosen) -> list[Message]:
    messages = []
    for condition in case.conditions:
        if condition == "sealed":
            messages.append(Message("sealed_required"))
        else:
            condition_text = text_param(CONDITION_TEXTS[condition])
            messages.append(Message("condition", {"condition": condition_text}))
    if effects.require_photos or (chosen and chosen.requires_photo):
        messages.append(Message("photos_required"))
    if chosen and chosen.requires_comment:
        messages.append(Message("comment_required"))
    currency = ctx.order.currency
    if restocking:
        messages.append(Message("restocking_fee", {"amount": money_param(restocking, currency)}))
    if shipping:
        messages.append(Message("shipping_fee", {"amount": money_param(shipping, currency)}))
    if bonus:
        messages.append(Message("bonus", {"percent": _percent(bonus)}))
    if outcome == "returnless":
        messages.append(Message("returnless"))
    elif outcome == "review":
        messages.append(Message("review"))
    elif outcome == "reject":
        messages.append(Message("rejected", {"message": dict(effects.message or {})}))
    return messages


def _problems(ctx, line, chosen, quantity, resolution, resolutions, methods, outcome) -> tuple:
    if chosen is None:
        return ()
    problems = []
    if quantity > line.returnable_qty:
        problems.append(Message("quantity_exceeded", {"available": line.returnable_qty}))
    if resolution and resolution not in resolutions:
        problems.append(
            Message(
                "resolution_not_allowed", {"resolution": text_param(RESOLUTION_LABELS[resolution])}
            )
        )
    method = ctx.choice.method
    # A returnless line is not sent at all: whatever method was chosen does not matter.
    if method and method not in methods and outcome != "returnless":
        problems.append(
            Message("method_not_allowed", {"method": text_param(METHOD_LABELS[method])})
        )
    return tuple(problems)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _combine(decisions: tuple[LineDecision, ...], ctx: _Context) -> OrderDecision:
    """The return's outcome: the most cautious of its chosen lines' (reject > review > staff >
    approve > returnless); lines the shopper did not choose do not count."""
    chosen = [d for d in decisions if d.line_id in ctx.choice.lines] or list(decisions)
    outcomes = [d.outcome for d in chosen if d.eligible]
    if not outcomes:
        return OrderDecision(decisions, "")
    outcome = max(outcomes, key=OUTCOME_PRIORITY.__getitem__)
    if outcome == "returnless" and any(o != "returnless" for o in outcomes):
        outcome = "approve"  # some items still come back: an approved return with a parcel
    message = None
    if outcome == "reject":
        for decision in chosen:
            for msg in decision.messages:
                if msg.id == "rejected":
                    message = msg.params["message"]
                    break
            if message:
                break
    return OrderDecision(decisions, outcome, message)
