"""Try a draft policy on past requests before publishing it.

`simulate` replays cases — each an order, the moment it was asked about and what the shopper
chose — through the engine with the draft, and counts, per rule, the lines it would have
touched, the orders, the money at stake (the value of those lines), the lines it would have
decided and the fees it would have added. Pure: the cases come from `returns.eligibility`
(`simulate_policy`), which reads the store's past returns.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from retour.policy.document import PolicyDocument
from retour.policy.engine import Choice, CompiledPolicy, OrderFacts, evaluate

ZERO = Decimal("0")


@dataclass(frozen=True)
class Case:
    order: OrderFacts
    at: datetime
    choice: Choice


@dataclass
class RuleStats:
    rule: str
    lines: int = 0
    orders: int = 0
    value: Decimal = ZERO  # what the touched lines were worth (unit price × quantity)
    decided: int = 0  # lines whose decision came from this rule
    fees: Decimal = ZERO  # the fees it added

    def as_json(self) -> dict:
        return {
            "rule": self.rule,
            "lines": self.lines,
            "orders": self.orders,
            "value": str(self.value),
            "decided": self.decided,
            "fees": str(self.fees),
        }


@dataclass
class Report:
    cases: int = 0
    lines: int = 0
    eligible: int = 0
    rules: list[RuleStats] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)  # per line: approve, review, … or ""
    value_by_outcome: dict[str, Decimal] = field(default_factory=dict)

    def rule(self, rule_id: str) -> RuleStats:
        return next(stats for stats in self.rules if stats.rule == rule_id)

    def as_json(self) -> dict:
        return {
            "cases": self.cases,
            "lines": self.lines,
            "eligible": self.eligible,
            "rules": [stats.as_json() for stats in self.rules],
            "outcomes": dict(self.outcomes),
            "value_by_outcome": {k: str(v) for k, v in self.value_by_outcome.items()},
        }


def simulate(document: PolicyDocument, cases: Iterable[Case]) -> Report:
    policy = CompiledPolicy(document)
    stats = {compiled.rule.id: RuleStats(compiled.rule.id) for compiled in policy.rules}
    rules = {compiled.rule.id: compiled.rule for compiled in policy.rules}
    report = Report(rules=list(stats.values()))
    for case in cases:
        report.cases += 1
        decision = evaluate(policy, case.order, case.at, case.choice)
        prices = {line.line_id: line.unit_price for line in case.order.lines}
        touched_rules: set[str] = set()
        for line in decision.lines:
            chosen = case.choice.lines.get(line.line_id)
            if chosen is None:
                continue
            value = prices[line.line_id] * chosen.quantity
            report.lines += 1
            report.eligible += line.eligible
            report.outcomes[line.outcome] += 1
            report.value_by_outcome[line.outcome] = (
                report.value_by_outcome.get(line.outcome, ZERO) + value
            )
            _count_rules(rules, stats, line, value, touched_rules)
        for rule_id in touched_rules:
            stats[rule_id].orders += 1
    return report


def _count_rules(rules, stats, line, value, touched_rules) -> None:
    decided_by = next((r for r in line.fired_rules if rules[r].then.decision is not None), None)
    for rule_id in line.fired_rules:
        entry = stats[rule_id]
        entry.lines += 1
        entry.value += value
        entry.fees += rules[rule_id].then.add_fee or ZERO
        touched_rules.add(rule_id)
    if decided_by:
        stats[decided_by].decided += 1
