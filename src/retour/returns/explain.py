"""A return's policy decision and risk, as staff read them: the rules that fired, each with
what it checks and what it did, and the risk signals with their values. Read from the decision
kept on the return (`Return.decision`) and its policy version: nothing is decided again."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from retour.policy.describe import describe_conditions, describe_outcome
from retour.policy.selectors import compiled
from retour.returns.models import Return

SIGNAL_LABELS = {
    "return_rate": _("Return rate over the last orders"),
    "high_value_returns": _("High-value items returned before"),
    "inspection_mismatches": _("Past returns that did not match at inspection"),
    "address_many_emails": _("E-mail addresses using the same delivery address"),
}
OUTCOME_LABELS = {
    "approve": _("Approved automatically"),
    "returnless": _("Refund without return"),
    "review": _("Sent to review"),
    "reject": _("Rejected"),
    "staff": _("Decided by staff"),
}


@dataclass(frozen=True)
class FiredRule:
    id: str
    name: str
    conditions: list[str]
    effects: list[str]


@dataclass(frozen=True)
class Explanation:
    outcome: str
    enforced: bool
    policy_version: int | None
    rules: list[FiredRule]
    risk_score: int | None
    signals: list[dict]


def explain(return_request: Return, language: str) -> Explanation:
    """The decision of a return (loaded with its `policy_version`) for the staff page."""
    decision = return_request.decision or {}
    by_id = {}
    if return_request.policy_version_id is not None:
        policy = compiled(return_request.policy_version)
        by_id = {item.rule.id: item.rule for item in policy.rules}
    rules = []
    for rule_id in decision.get("fired_rules", []):
        rule = by_id.get(rule_id)
        rules.append(
            FiredRule(
                id=rule_id,
                name=rule.label(language) if rule else rule_id,
                conditions=describe_conditions(rule.when) if rule else [],
                effects=describe_outcome(rule.then, language) if rule else [],
            )
        )
    risk = decision.get("risk") or {}
    return Explanation(
        outcome=str(OUTCOME_LABELS.get(decision.get("outcome", ""), decision.get("outcome", ""))),
        enforced=bool(decision.get("enforced", True)),
        policy_version=decision.get("policy_version"),
        rules=rules,
        risk_score=risk.get("score"),
        signals=[
            {**signal, "label": SIGNAL_LABELS.get(signal["name"], signal["name"])}
            for signal in risk.get("signals", [])
        ],
    )
