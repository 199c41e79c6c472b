"""Automatic rules: ordered, stored as JSON, validated by these pydantic models.

A rule is `{"id", "name", "when": {conditions}, "then": {outcome}}`. Semantics, per order line:

- Rules are tried in their order. A rule *fires* when every condition it sets holds (a condition
  left out always holds). A condition on a fact the engine does not know yet — the reason or the
  method before the shopper has chosen them — does not hold.
- Decision outcomes (`approve`, `review`, `reject`, `returnless`): the first firing rule that
  carries one decides; decisions of later rules are ignored (their modifiers still apply).
- Modifiers accumulate over every firing rule: `require_photos` (any), `forbid_methods` (union),
  `add_fee` (sum), `waive_fees` (union). `force_method` and `bonus_percent`: the first firing rule
  that sets them wins, like decisions.
- `stop: true` ends the evaluation after this rule fires.
- Every firing rule is recorded, in order, on the decision (and on the return).

The law comes after the rules: a line inside the legal withdrawal period is never rejected for a
rule (the rule's rejection becomes a review by staff) and carries no restocking or added fee.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Literal

from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, Field, model_validator

RESOLUTIONS = ("refund", "store_credit", "exchange")
METHODS = ("drop_off", "pickup", "in_store", "mail", "keep")
# The same codes and English labels as `retour.returns.choices` (policy sits below returns and
# cannot import it; the labels share their translations).
RESOLUTION_LABELS = {
    "refund": gettext_noop("Refund to the original payment"),
    "store_credit": gettext_noop("Store credit"),
    "exchange": gettext_noop("Exchange"),
}
METHOD_LABELS = {
    "drop_off": gettext_noop("Drop-off at a carrier point"),
    "pickup": gettext_noop("Carrier pickup"),
    "in_store": gettext_noop("Return in store"),
    "mail": gettext_noop("By post"),
    "keep": gettext_noop("Keep the item (returnless)"),
}
Resolution = Literal["refund", "store_credit", "exchange"]
Method = Literal["drop_off", "pickup", "in_store", "mail", "keep"]
Decision = Literal["approve", "review", "reject", "returnless"]
FeeKind = Literal["restocking", "shipping"]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """`min` ≤ value ≤ `max`, either bound optional."""

    min: Decimal | None = None
    max: Decimal | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Conditions(_Strict):
    order_total: Range | None = None
    line_price: Range | None = Field(None, description="unit price after discounts")
    line_value: Range | None = Field(None, description="unit price × quantity returned")
    quantity: Range | None = None
    reasons: list[str] | None = Field(None, description="reason codes (or their parent's)")
    categories: list[str] | None = Field(None, description="'apparel' matches 'apparel/shoes'")
    tags: list[str] | None = Field(None, description="any of these product tags")
    days_since_delivery: Range | None = None
    countries: list[str] | None = None
    past_returns: Range | None = None
    return_rate: Range | None = Field(None, description="0 to 1")
    risk_score: Range | None = Field(None, description="0 to 100")
    methods: list[Method] | None = None
    resolutions: list[Resolution] | None = None
    value_below_label_cost: bool | None = Field(
        None, description="the line is worth less than the label of the chosen method"
    )

    @property
    def reads_history(self) -> bool:
        """Whether the shopper's history (past returns, return rate, risk) is needed."""
        return any(
            value is not None for value in (self.past_returns, self.return_rate, self.risk_score)
        )


class Outcome(_Strict):
    decision: Decision | None = None
    message: dict[str, str] = Field(
        default_factory=dict, description='told to the shopper on reject: {"en": …, "fr": …}'
    )
    require_photos: bool = False
    force_method: Method | None = None
    forbid_methods: list[Method] = Field(default_factory=list)
    add_fee: Amount | None = None
    waive_fees: list[FeeKind] = Field(default_factory=list)
    bonus_percent: Annotated[Decimal, Field(ge=0, le=100)] | None = None

    @model_validator(mode="after")
    def _reject_says_why(self) -> "Outcome":
        if self.decision == "reject" and not self.message:
            raise ValueError("a rejecting rule needs a message for the shopper")
        return self


class Rule(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,59}$")]
    name: dict[str, str] = Field(default_factory=dict, description='{"en": …, "fr": …}')
    enabled: bool = True
    when: Conditions = Field(default_factory=Conditions)
    then: Outcome
    stop: bool = False

    def label(self, language: str) -> str:
        return self.name.get(language[:2]) or self.name.get("en") or self.id


def check_unique_ids(rules: list[Rule]) -> list[Rule]:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"two rules have the id {rule.id!r}")
        seen.add(rule.id)
    return rules


# --- Compilation -----------------------------------------------------------------------------
# Evaluating 100 rules on 50 lines is 5,000 rule checks per order; the bench allows 5 ms. So each
# rule is compiled once into two lists of small predicates: those on order-wide facts (checked
# once per order) and those on the line (checked per line). A rule with no condition on a fact
# costs nothing for it.


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    order_checks: tuple[Callable, ...]
    line_checks: tuple[Callable, ...]
    category_check: Callable[[str], bool] | None = None  # see `RuleSet`
    # The outcome, read on every firing: copied off the pydantic model once.
    id: str = ""
    decision: str | None = None
    require_photos: bool = False
    force_method: str | None = None
    forbid: frozenset = frozenset()
    add_fee: Decimal | None = None
    waive: frozenset = frozenset()
    bonus_percent: Decimal | None = None


def _in_range(bounds: Range, getter: Callable) -> Callable:
    # One closure per shape, so the hot path makes no test on a bound that is not set.
    low, high = bounds.min, bounds.max
    if low is not None and high is not None:

        def between(facts) -> bool:
            value = getter(facts)
            return value is not None and low <= value <= high

        return between
    if low is not None:

        def at_least(facts) -> bool:
            value = getter(facts)
            return value is not None and value >= low

        return at_least

    def at_most(facts) -> bool:
        value = getter(facts)
        return value is not None and value <= high

    return at_most


def _in_set(values: list[str], getter: Callable, upper: bool = False) -> Callable:
    allowed = frozenset(v.upper() if upper else v for v in values)

    def check(facts) -> bool:
        return getter(facts) in allowed

    return check


def _reason_in(codes: list[str]) -> Callable:
    allowed = frozenset(codes)

    def check(line) -> bool:
        return line.reason in allowed or (line.reason_parent or None) in allowed

    return check


def _category_in(prefixes: list[str]) -> Callable[[str], bool]:
    exact = tuple(prefixes)
    nested = tuple(p.rstrip("/") + "/" for p in prefixes)

    def check(category: str) -> bool:
        return category in exact or category.startswith(nested)

    return check


def _tags_any(tags: list[str]) -> Callable:
    wanted = frozenset(tags)

    def check(line) -> bool:
        return not wanted.isdisjoint(line.tags)

    return check


def _below_label_cost(expected: bool) -> Callable:
    def check(line) -> bool:
        if line.label_cost is None:
            return False
        return (line.value < line.label_cost) == expected

    return check


def compile_rule(rule: Rule) -> CompiledRule:
    """The rule's conditions as predicates on `OrderView` (order) and `LineView` (line) facts,
    the objects `engine.py` builds."""
    when = rule.when
    order_checks: list[Callable] = []
    line_checks: list[Callable] = []
    if when.order_total:
        order_checks.append(_in_range(when.order_total, attrgetter("total")))
    if when.countries:
        order_checks.append(_in_set(when.countries, attrgetter("country"), upper=True))
    if when.past_returns:
        order_checks.append(_in_range(when.past_returns, attrgetter("past_returns")))
    if when.return_rate:
        order_checks.append(_in_range(when.return_rate, attrgetter("return_rate")))
    if when.risk_score:
        order_checks.append(_in_range(when.risk_score, attrgetter("risk_score")))
    if when.methods:
        order_checks.append(_in_set(when.methods, attrgetter("method")))
    # The set conditions first: they are the cheap ones that fail most often, and a rule's
    # remaining checks are skipped once one fails.
    if when.reasons:
        line_checks.append(_reason_in(when.reasons))
    if when.tags:
        line_checks.append(_tags_any(when.tags))
    if when.resolutions:
        line_checks.append(_in_set(when.resolutions, attrgetter("resolution")))
    if when.line_price:
        line_checks.append(_in_range(when.line_price, attrgetter("unit_price")))
    if when.line_value:
        line_checks.append(_in_range(when.line_value, attrgetter("value")))
    if when.quantity:
        line_checks.append(_in_range(when.quantity, attrgetter("quantity")))
    if when.days_since_delivery:
        line_checks.append(_in_range(when.days_since_delivery, attrgetter("days")))
    if when.value_below_label_cost is not None:
        line_checks.append(_below_label_cost(when.value_below_label_cost))
    then = rule.then
    return CompiledRule(
        rule,
        tuple(order_checks),
        tuple(line_checks),
        category_check=_category_in(when.categories) if when.categories else None,
        id=rule.id,
        decision=then.decision,
        require_photos=then.require_photos,
        force_method=then.force_method,
        forbid=frozenset(then.forbid_methods),
        add_fee=then.add_fee or None,
        waive=frozenset(then.waive_fees),
        bonus_percent=then.bonus_percent,
    )


@dataclass
class RuleEffects:
    """What the firing rules did to one line (see the module docstring for how they combine)."""

    decision: str | None = None
    decided_by: str = ""
    message: dict | None = None
    require_photos: bool = False
    force_method: str | None = None
    forbid_methods: frozenset = frozenset()
    added_fee: Decimal = Decimal("0")
    waived: frozenset = frozenset()
    bonus_percent: Decimal | None = None
    fired: tuple[str, ...] = ()


class RuleSet:
    """The rules left for an order's lines once its order-wide conditions are checked, indexed
    by product category: a line is tried only against the rules its category allows (an order's
    lines share a few categories, each sorted out once), not against every rule."""

    def __init__(self, rules: tuple[CompiledRule, ...]) -> None:
        self.rules = rules
        self._by_category: dict[str, tuple[CompiledRule, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.rules)

    def for_category(self, category: str) -> tuple[CompiledRule, ...]:
        found = self._by_category.get(category)
        if found is None:
            found = tuple(
                rule
                for rule in self.rules
                if rule.category_check is None or rule.category_check(category)
            )
            self._by_category[category] = found
        return found


def apply_rules(rules: RuleSet, line) -> RuleEffects:
    """Run the rules on one line, in order."""
    effects = RuleEffects()
    fired = []
    for compiled in rules.for_category(line.category):
        for check in compiled.line_checks:  # a plain loop: no generator on the hot path
            if not check(line):
                break
        else:
            _fire(compiled, effects, fired)
            if compiled.rule.stop:
                break
    effects.fired = tuple(fired)
    return effects


def _fire(compiled: CompiledRule, effects: RuleEffects, fired: list[str]) -> None:
    fired.append(compiled.id)
    if compiled.decision and effects.decision is None:
        effects.decision, effects.decided_by = compiled.decision, compiled.id
        effects.message = compiled.rule.then.message or None
    if compiled.require_photos:
        effects.require_photos = True
    if compiled.force_method and effects.force_method is None:
        effects.force_method = compiled.force_method
    if compiled.forbid:
        effects.forbid_methods = effects.forbid_methods | compiled.forbid
    if compiled.add_fee:
        effects.added_fee += compiled.add_fee
    if compiled.waive:
        effects.waived = effects.waived | compiled.waive
    if compiled.bonus_percent is not None and effects.bonus_percent is None:
        effects.bonus_percent = compiled.bonus_percent
