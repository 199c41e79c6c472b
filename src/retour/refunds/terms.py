"""The fees and the store-credit bonus of a refund, as the return's policy decision set them.

The policy engine decides, per line and under the policy version the return is decided under,
the restocking fee, the return-shipping fee and the store-credit bonus (with the rules' waivers,
added fees and overrides). That decision (`Return.decision`, or the portal's evaluation before
the return exists) is the one source of these terms: the portal's estimate and the refund both
read them here. `RefundSettings` keeps only what a policy does not hold (refunding the original
shipping, gateways, triggers, four eyes, credit expiry).

The decision's fees are for the announced quantity of each line. A refund of fewer units (fewer
accepted at inspection) keeps the restocking fee in proportion to the units refunded; the return
shipping fee is a cost of the parcel, kept whole once any unit of the line is refunded. Pure: no
database.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from retour.core.money import ZERO
from retour.refunds.calculation import Fee

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Units:
    """Units of one order line refunded now, out of the units announced in the return."""

    now: int
    announced: int


@dataclass(frozen=True)
class PolicyTerms:
    fees: tuple[Fee, ...]
    bonus_rate: Decimal  # a share: 0.10 for 10 %


def policy_terms(decision: Mapping, units: Mapping[int, Units]) -> PolicyTerms:
    """The terms for `units` (order line id → units) from a decision as JSON (`lines`, each with
    `line`, `restocking_fee`, `shipping_fee` and `bonus_percent`). A decision that does not
    cover a line (a return recorded before decisions were stored) sets no fee and no bonus
    for it."""
    by_line = {line["line"]: line for line in decision.get("lines", ())}
    restocking = shipping = ZERO
    bonuses: list[Decimal] = []
    for line_id, count in units.items():
        line = by_line.get(line_id)
        if line is None or count.now <= 0:
            bonuses.append(ZERO)
            continue
        share = Decimal(count.now) / Decimal(max(count.announced, count.now, 1))
        restocking += Decimal(line.get("restocking_fee", "0")) * share
        shipping += Decimal(line.get("shipping_fee", "0"))
        bonuses.append(Decimal(line.get("bonus_percent", "0")))
    return PolicyTerms(
        fees=(Fee("restocking", amount=restocking), Fee("return_shipping", amount=shipping)),
        # The portal promises the smallest bonus of the chosen lines ("get 10 % more").
        bonus_rate=min(bonuses, default=ZERO) / HUNDRED,
    )
