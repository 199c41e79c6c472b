"""A claim's decision with what it promises, in the decision's transaction: approved with a
refund, the refund is requested (`services.request_claim_refund`, then sent by the refund jobs);
approved with a replacement, the same variant is reserved and ordered
(`exchanges.send_claim_replacements`). An approval the payments or the stock cannot honour is
refused and the claim stays open. Interfaces decide claims here; `returns.services.decide_claim`
(a lower layer) only records the decision.
"""

from django.db import transaction

from retour.commerce.models import Order
from retour.core.actors import Actor
from retour.refunds import exchanges, services
from retour.returns import services as returns_services
from retour.returns.choices import ClaimResolution, ClaimStatus
from retour.returns.models import Claim


@transaction.atomic
def decide_claim(
    *, claim: Claim, actor: Actor, approve: bool, resolution: str = "", reason: str = ""
) -> Claim:
    """Approve a claim with its resolution, or reject it (`reason` told to the shopper). A second
    decision raises `IllegalTransition` (409) and requests nothing; a refund the payments cannot
    give back, or a replacement out of stock, raises its `Conflict` and leaves the claim open."""
    # Lock order: Order → Claim → Payments, the order `request_claim_refund` takes them in.
    Order.objects.select_for_update().filter(pk=claim.order_id).first()
    decided = returns_services.decide_claim(
        claim=claim, actor=actor, approve=approve, resolution=resolution, reason=reason
    )
    if decided.status != ClaimStatus.APPROVED:
        return decided
    if decided.resolution == ClaimResolution.REFUND:
        services.request_claim_refund(claim=decided, actor=actor)
    else:
        exchanges.send_claim_replacements(claim=decided, actor=actor)
    return decided
