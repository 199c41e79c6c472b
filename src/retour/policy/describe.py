"""Plain-language descriptions of a policy, for the public page, the flowchart and staff.

Everything here is derived from the policy document, so the page cannot say something the
engine does not do. Texts go through gettext: call inside the reader's active language.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from retour.core.money import format_money
from retour.policy.document import PolicyDocument
from retour.policy.law import EXCLUSION_LABELS, law_for
from retour.policy.messages import CONDITION_TEXTS
from retour.policy.rules import METHOD_LABELS, RESOLUTION_LABELS, Conditions, Outcome, Range


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _range(label: str, bounds: Range) -> str:
    if bounds.min is not None and bounds.max is not None:
        return _("%(what)s between %(min)s and %(max)s") % {
            "what": label,
            "min": _number(bounds.min),
            "max": _number(bounds.max),
        }
    if bounds.min is not None:
        return _("%(what)s at least %(min)s") % {"what": label, "min": _number(bounds.min)}
    return _("%(what)s at most %(max)s") % {"what": label, "max": _number(bounds.max)}


def _among(label: str, values: list[str]) -> str:
    return _("%(what)s: %(values)s") % {"what": label, "values": ", ".join(values)}


def describe_conditions(when: Conditions) -> list[str]:
    """One short phrase per condition the rule sets (empty: the rule applies to every line)."""
    parts = []
    ranges = [
        ("order_total", _("order total")),
        ("line_price", _("item price")),
        ("line_value", _("value returned")),
        ("quantity", _("quantity")),
        ("days_since_delivery", _("days since delivery")),
        ("past_returns", _("past returns")),
        ("return_rate", _("return rate")),
        ("risk_score", _("risk score")),
    ]
    for field, label in ranges:
        bounds = getattr(when, field)
        if bounds is not None:
            parts.append(_range(label, bounds))
    if when.reasons:
        parts.append(_among(_("reason"), when.reasons))
    if when.categories:
        parts.append(_among(_("category"), when.categories))
    if when.tags:
        parts.append(_among(_("tag"), when.tags))
    if when.countries:
        parts.append(_among(_("country"), when.countries))
    if when.methods:
        parts.append(_among(_("method"), [_(METHOD_LABELS[m]) for m in when.methods]))
    if when.resolutions:
        parts.append(_among(_("resolution"), [_(RESOLUTION_LABELS[r]) for r in when.resolutions]))
    if when.value_below_label_cost is not None:
        parts.append(
            _("worth less than the return label")
            if when.value_below_label_cost
            else _("worth at least the return label")
        )
    return parts


def describe_outcome(then: Outcome, language: str) -> list[str]:
    parts = []
    decision = {
        "approve": _("approved automatically"),
        "review": _("reviewed by the shop"),
        "reject": _("refused"),
        "returnless": _("refunded, keep the item"),
    }
    if then.decision:
        text = decision[then.decision]
        if then.decision == "reject" and then.message:
            text += f" — {then.message.get(language) or then.message.get('en') or ''}".rstrip()
        parts.append(text)
    if then.require_photos:
        parts.append(_("photos required"))
    if then.force_method:
        parts.append(_("return by: %s") % _(METHOD_LABELS[then.force_method]))
    if then.forbid_methods:
        labels = ", ".join(_(METHOD_LABELS[m]) for m in then.forbid_methods)
        parts.append(_("not by: %s") % labels)
    if then.add_fee:
        parts.append(_("fee + %s") % _number(then.add_fee))
    if then.waive_fees:
        parts.append(_("fees waived"))
    if then.bonus_percent is not None:
        parts.append(_("store credit bonus %s%%") % _number(then.bonus_percent))
    return parts


def summary(document: PolicyDocument, *, country: str, currency: str, language: str) -> dict:
    """The policy as plain data for the page, the snippet and the API (texts translated)."""
    law = law_for(country)

    def fee(fee) -> dict:
        return {
            "percent": _number(fee.percent),
            "flat": _number(fee.flat),
            "flat_text": format_money(fee.flat, currency, language),
            "waived_for_exchange": fee.waived_for_exchange,
            "waived_for_store_credit": fee.waived_for_store_credit,
        }

    categories = [
        {
            "category": override.category or override.product,
            "is_product": bool(override.product),
            "returnable": override.returnable,
            "window_days": override.window_days
            if override.window_days is not None
            else document.window_days,
            "conditions": [_(CONDITION_TEXTS[c]) for c in override.conditions or []],
            "resolutions": [_(RESOLUTION_LABELS[r]) for r in override.resolutions or []],
            "restocking_fee": fee(override.restocking_fee) if override.restocking_fee else None,
        }
        for override in document.overrides
    ]
    return {
        "window_days": document.window_days,
        "transit_allowance_days": document.transit_allowance_days,
        "currency": currency,
        "conditions": [_(CONDITION_TEXTS[c]) for c in document.conditions],
        "exclusions": [_(EXCLUSION_LABELS[e.kind]) for e in document.exclusions],
        "resolutions": [_(RESOLUTION_LABELS[r]) for r in document.resolutions],
        "methods": [_(METHOD_LABELS[m]) for m in document.methods],
        "methods_by_country": {
            c: [_(METHOD_LABELS[m]) for m in methods]
            for c, methods in sorted(document.methods_by_country.items())
        },
        "categories": categories,
        "restocking_fee": fee(document.restocking_fee),
        "shipping_fees": {
            _(METHOD_LABELS[m]): fee(f) for m, f in sorted(document.shipping_fees.items())
        },
        "store_credit_bonus_percent": _number(document.store_credit_bonus_percent),
        "rules": [
            {
                "id": rule.id,
                "name": rule.label(language),
                "when": describe_conditions(rule.when),
                "then": describe_outcome(rule.then, language),
            }
            for rule in document.rules
            if rule.enabled
        ],
        "legal": {
            "withdrawal_days": law.withdrawal_days or 14,
            "refund_due_days": law.refund_due_days or 14,
            "conformity_years": law.conformity_years or 2,
            "citation": law.citation or "Directive 2011/83/EU, art. 9",
        },
    }
