"""The EU right of withdrawal, exercised online (Directive 2011/83/EU art. 11, and art. 11a added
by Directive (EU) 2023/2673: the "withdraw from the contract here" function).

A withdrawal is a notice, not a parcel: it records which units of an order the shopper withdraws
from and when (`Withdrawal.notified_at`, the moment the refund clock starts, see `deadlines`).
The goods come back through an ordinary return, opened afterwards; the policy engine keeps a
withdrawn line returnable for the law's days after the notice (`LineFacts.withdrawn_at`).

Recording is idempotent: the confirmation form carries a token, and the same token records one
notice however many times it is submitted (the order row lock serialises double clicks).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import Order, OrderLine
from retour.core.actors import Actor
from retour.core.errors import InvalidRequest
from retour.events.outbox import emit
from retour.returns import eligibility
from retour.returns.models import Withdrawal, WithdrawalLine
from retour.returns.services import insert_with_unique_code


class NotWithdrawable(InvalidRequest):
    code = "not_withdrawable"


@dataclass(frozen=True)
class WithdrawnLine:
    order_line_id: int
    quantity: int


@dataclass(frozen=True)
class Withdrawable:
    """An order line the shopper may still withdraw from: how many units, until when."""

    line: OrderLine
    units: int
    deadline: datetime


@dataclass(frozen=True)
class Recorded:
    withdrawal: Withdrawal
    created: bool  # False: this form was submitted before, the first notice is returned


def _withdrawn_units(order_id: int) -> dict[int, int]:
    rows = (
        WithdrawalLine.objects.filter(withdrawal__order_id=order_id)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def _withdrawable(order: Order, now: datetime) -> list[Withdrawable]:
    lines = eligibility.lines_with_facts(order.pk)
    for line in lines:
        # The period to withdraw is the law's: an earlier notice (which extends the time to
        # send its goods back) does not extend it for the line's other units.
        line.withdrawn_at = None
    decision = eligibility.evaluate_loaded(order, lines, now=now).decision
    withdrawn = _withdrawn_units(order.pk)
    found = []
    for line in lines:
        line_decision = decision.line(line.pk)
        units = min(line_decision.returnable_qty, line.quantity - withdrawn.get(line.pk, 0))
        if line_decision.eligible and line_decision.case == "withdrawal" and units > 0:
            found.append(Withdrawable(line, units, line_decision.legal_deadline))
    return found


def withdrawable_lines(order: Order, *, now: datetime | None = None) -> list[Withdrawable]:
    """The order's lines still open to withdrawal at `now`: inside the legal period, not a legal
    exception, delivered units not returned nor withdrawn yet. Four queries."""
    loaded = eligibility.order_with_facts(order.pk, history=False)
    return _withdrawable(loaded, now or timezone.now())


def _check_contact(name: str, email: str, key: str) -> None:
    if not name.strip():
        raise InvalidRequest(_("Enter your name."), field="name")
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidRequest(_("Enter a valid e-mail address."), field="email") from None
    if not 16 <= len(key) <= 64:
        raise InvalidRequest(_("This form has expired: start again."), field="key")


def _check_lines(lines: Sequence[WithdrawnLine], open_lines: list[Withdrawable]) -> None:
    if not lines:
        raise NotWithdrawable(_("Choose at least one item to withdraw from."))
    available = {item.line.pk: item for item in open_lines}
    seen: set[int] = set()
    for line in lines:
        item = available.get(line.order_line_id)
        if line.order_line_id in seen or item is None:
            raise NotWithdrawable(
                _("This item can no longer be withdrawn from."), order_line_id=line.order_line_id
            )
        seen.add(line.order_line_id)
        if not 1 <= line.quantity <= item.units:
            raise NotWithdrawable(
                _("Choose between 1 and %(count)d of “%(title)s”.")
                % {"count": item.units, "title": item.line.title},
                order_line_id=line.order_line_id,
            )


def _payload(withdrawal: Withdrawal, order: Order, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The facts of the notice as the acknowledgement (a durable medium) must state them."""
    return {
        "withdrawal": {
            "id": withdrawal.pk,
            "number": withdrawal.number,
            "notified_at": withdrawal.notified_at.isoformat(),
            "name": withdrawal.name,
            "email": withdrawal.email,
            "locale": withdrawal.locale,
            "order": {
                "id": order.pk,
                "number": order.number,
                "placed_at": order.placed_at.isoformat(),
            },
            "lines": lines,
        },
        "occurred_at": withdrawal.notified_at.isoformat(),
    }


@transaction.atomic
def record_withdrawal(
    *,
    order: Order,
    lines: Sequence[WithdrawnLine],
    name: str,
    email: str,
    idempotency_key: str,
    actor: Actor,
    locale: str = "en",
    now: datetime | None = None,
) -> Recorded:
    """Record the shopper's notice of withdrawal from some units of `order`, write the store's
    audit event and emit `withdrawal.recorded` (the acknowledgement e-mail). The same
    `idempotency_key` returns the notice it recorded first and writes nothing."""
    _check_contact(name, email, idempotency_key)
    # The order row lock: two submissions of one form queue here, the second finds the first.
    locked = eligibility.order_with_facts(order.pk, lock=True, history=False)
    existing = Withdrawal.objects.filter(
        store_id=locked.store_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        if existing.order_id != locked.pk:
            raise InvalidRequest(_("This form has expired: start again."), field="key")
        return Recorded(existing, created=False)
    now = now or timezone.now()
    open_lines = _withdrawable(locked, now)
    _check_lines(lines, open_lines)
    withdrawal = insert_with_unique_code(
        Withdrawal,
        "W",
        "number",
        store_id=locked.store_id,
        order=locked,
        customer_id=locked.customer_id,
        name=name.strip()[:200],
        email=email.strip(),
        locale=(locale or "en")[:10],
        idempotency_key=idempotency_key,
        notified_at=now,
        **actor.audit_fields(),
    )
    WithdrawalLine.objects.bulk_create(
        WithdrawalLine(
            withdrawal=withdrawal, order_line_id=line.order_line_id, quantity=line.quantity
        )
        for line in lines
    )
    titles = {item.line.pk: item.line for item in open_lines}
    listed = [
        {
            "order_line": line.order_line_id,
            "title": titles[line.order_line_id].title,
            "sku": titles[line.order_line_id].sku,
            "quantity": line.quantity,
        }
        for line in lines
    ]
    record_audit(
        store=locked.store,
        actor=actor,
        verb="withdrawal.recorded",
        obj=withdrawal,
        data={"order": locked.number, "lines": [[r.order_line_id, r.quantity] for r in lines]},
    )
    emit(
        "withdrawal.recorded",
        store_id=locked.store_id,
        payload=_payload(withdrawal, locked, listed),
    )
    return Recorded(withdrawal, created=True)
