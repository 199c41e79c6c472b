"""Every write to returns and claims. Each function is one transaction that leaves an audit event;
status changes go through `lifecycle.transition`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from retour.commerce.audit import record_audit
from retour.commerce.models import Order, OrderLine
from retour.core.actors import Actor, ActorKind
from retour.core.codes import random_code
from retour.core.errors import InvalidRequest
from retour.events.outbox import emit
from retour.policy.engine import OrderDecision
from retour.policy.messages import render
from retour.returns import eligibility, lifecycle
from retour.returns.choices import (
    ClaimKind,
    ClaimResolution,
    ClaimStatus,
    LineStatus,
    MessageKind,
    Resolution,
    ReturnMethod,
)
from retour.returns.choices import ReturnStatus as S
from retour.returns.models import (
    Claim,
    ClaimLine,
    Return,
    ReturnLine,
    ReturnMessage,
    ReturnReason,
)
from retour.returns.selectors import active_reasons, order_lines_with_quantities


class QuantityExceeded(InvalidRequest):
    code = "quantity_exceeded"


@dataclass(frozen=True)
class LineRequest:
    """One line of a return or claim as asked for by the shopper or an API client."""

    order_line_id: int
    quantity: int
    reason_code: str = ""
    comment: str = ""
    resolution: str = ""
    # The shopper's photos of the item: the portal's stored files, or the API client's URLs.
    photos: Sequence[str] = ()


@dataclass(frozen=True)
class LineReceipt:
    line_id: int
    received_qty: int


@dataclass(frozen=True)
class LineInspection:
    line_id: int
    accepted_qty: int
    damaged_qty: int = 0
    grade: str = ""
    disposition: str = ""


def _lock_order(order: Order) -> Order:
    # Two returns of the same order at once must not both take the last returnable unit:
    # the order row is the lock every return and claim of that order queues on.
    return Order.objects.select_for_update().get(pk=order.pk)


def _check_quantities(order: Order, requests: Sequence[LineRequest]) -> None:
    if not requests:
        raise InvalidRequest(_("Choose at least one item."))
    seen: set[int] = set()
    for request in requests:
        if request.order_line_id in seen:
            raise InvalidRequest(_("An item is listed twice."), order_line_id=request.order_line_id)
        seen.add(request.order_line_id)
        if request.quantity < 1:
            raise InvalidRequest(
                _("The quantity must be at least 1."), order_line_id=request.order_line_id
            )
    # Lines already loaded with their quantities (as `selectors.order_detail` and
    # `create_return` do) are not read again.
    order_lines = getattr(order, "annotated_lines", None)
    if order_lines is None:
        order_lines = order_lines_with_quantities(order.pk)
    lines = {line.pk: line for line in order_lines}
    for request in requests:
        line = lines.get(request.order_line_id)
        if line is None:
            raise InvalidRequest(
                _("This item is not part of order %(number)s.") % {"number": order.number},
                order_line_id=request.order_line_id,
            )
        if request.quantity > line.returnable_qty:
            raise QuantityExceeded(
                _("Only %(available)d of “%(title)s” can still be returned.")
                % {"available": max(line.returnable_qty, 0), "title": line.title},
                order_line_id=line.pk,
                requested=request.quantity,
                returnable=max(line.returnable_qty, 0),
            )


def _reasons_by_code(store_id: int, requests: Sequence[LineRequest]) -> dict[str, ReturnReason]:
    codes = {request.reason_code for request in requests if request.reason_code}
    if not codes:
        return {}
    # The whole catalogue (a dozen rows) in a query compiled once, rather than an IN list.
    reasons = {reason.code: reason for reason in active_reasons(store_id) if reason.code in codes}
    unknown = codes - set(reasons)
    if unknown:
        raise InvalidRequest(
            _("Unknown return reason: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        )
    return reasons


def insert_with_unique_code(model, prefix: str, field: str, **fields):
    """Insert a row with a fresh random code, drawing again on the (rare) collision."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return model.objects.create(**{field: random_code(prefix)}, **fields)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not draw a unique {field}")


@transaction.atomic
def create_return(
    *,
    order: Order,
    lines: Sequence[LineRequest],
    method: str,
    resolution: str,
    actor: Actor,
    locale: str = "",
    enforce_policy: bool | None = None,
) -> Return:
    """Open a return for some delivered units of an order. The number of queries is the same
    whatever the number of lines.

    The store's current policy decides every line again here, whatever the client was shown
    (see `_policy_check`); the decision and the version are stored on the return.
    """
    if method not in ReturnMethod.values:
        raise InvalidRequest(_("Unknown return method: %s") % method)
    if resolution not in Resolution.values:
        raise InvalidRequest(_("Unknown resolution: %s") % resolution)
    for request in lines:
        if request.resolution and request.resolution not in Resolution.values:
            raise InvalidRequest(_("Unknown resolution: %s") % request.resolution)
    # The order row is locked as in `_lock_order`, and loaded with the policy and the shopper's
    # history in the same query.
    order = eligibility.order_with_facts(order.pk, lock=True)
    order.annotated_lines = order_lines = eligibility.lines_with_facts(order.pk)
    _check_quantities(order, lines)
    reasons = _reasons_by_code(order.store_id, lines)
    locale = locale or order.locale or "en"
    enforced = _policy_enforced(actor, enforce_policy)
    evaluation = _policy_check(
        order, order_lines, lines, reasons, method, resolution, enforced=enforced, locale=locale
    )
    if enforced and evaluation.decision.outcome == "returnless":
        method = ReturnMethod.KEEP  # every item stays with the shopper
    return_request = insert_with_unique_code(
        Return,
        "R",
        "rma",
        store_id=order.store_id,
        order=order,
        customer_id=order.customer_id,
        method=method,
        resolution=resolution,
        policy_version_id=evaluation.version.pk if evaluation.version else None,
        decision=evaluation.as_json(enforced=enforced),
        risk_score=evaluation.risk.score if evaluation.risk else None,
        locale=locale,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(
            return_request=return_request,
            order_line_id=request.order_line_id,
            quantity=request.quantity,
            reason=reasons.get(request.reason_code),
            comment=request.comment,
            resolution=request.resolution or resolution,
        )
        for request in lines
    )
    lifecycle.record_event(
        return_request,
        "created",
        actor=actor,
        data={
            "lines": [
                {"order_line": r.order_line_id, "quantity": r.quantity}
                | ({"photos": list(r.photos)} if r.photos else {})
                for r in lines
            ],
            "method": method,
            "resolution": resolution,
        },
    )
    if enforced:
        _apply_decision(return_request, evaluation)
    return return_request


# --- The policy on submission (issue 3) ------------------------------------------------------
# Shoppers and API clients are held to the policy; staff, the system (imports, demo data) and
# the shop's platform act for the merchant, who may accept a return its own policy would refuse:
# their returns record the decision (with `enforced: false`) and stay `requested`.
_HELD_TO_POLICY = frozenset({ActorKind.SHOPPER, ActorKind.API})
POLICY_ACTOR = Actor.system("return policy")


class NotEligible(InvalidRequest):
    code = "not_eligible"


def _policy_enforced(actor: Actor, enforce_policy: bool | None) -> bool:
    return actor.kind in _HELD_TO_POLICY if enforce_policy is None else enforce_policy


def _policy_check(
    order, order_lines, requests, reasons, method, resolution, *, enforced: bool, locale: str
) -> eligibility.Evaluation:
    """Evaluate the request as submitted; refuse it, with every line's reasons, if the policy
    does not allow it (a client cannot skip a check by changing its request)."""
    choice = eligibility.make_choice(
        method=method,
        resolution=resolution,
        lines=[
            eligibility.RequestedLine(
                order_line_id=r.order_line_id,
                quantity=r.quantity,
                reason=reasons.get(r.reason_code),
                resolution=r.resolution,
            )
            for r in requests
        ],
    )
    evaluation = eligibility.evaluate_loaded(order, order_lines, choice=choice)
    refused = eligibility.refused_lines(evaluation.decision, choice.lines)
    if enforced and refused:
        for line in refused:
            for message in line["messages"]:
                message["text"] = render(message, locale)
        raise NotEligible(refused[0]["messages"][0]["text"], lines=refused)
    if enforced:
        _check_evidence(evaluation.decision, requests, order_lines, locale)
    return evaluation


class EvidenceMissing(InvalidRequest):
    code = "evidence_missing"


_EVIDENCE = {
    "photos": gettext_noop(
        "Add at least one photo of “%(title)s”: the shop needs it for this reason."
    ),
    "comment": gettext_noop("Tell us more about “%(title)s” in a comment: the shop needs it."),
}


def _check_evidence(
    decision: OrderDecision,
    requests: Sequence[LineRequest],
    order_lines: Sequence[OrderLine],
    locale: str,
) -> None:
    """The photos and the comment the decision asks for (the reason's catalogue entry or a rule
    of the policy) must come with the request, whatever the interface."""
    titles = {line.pk: line.title for line in order_lines}
    missing = []
    for request in requests:
        line = decision.line(request.order_line_id)
        if line.requires_photos and not request.photos:
            missing.append((request.order_line_id, "photos"))
        if line.requires_comment and not request.comment.strip():
            missing.append((request.order_line_id, "comment"))
    if not missing:
        return
    with translation.override(locale):
        lines = [
            {
                "line": line_id,
                "missing": what,
                "text": _(_EVIDENCE[what]) % {"title": titles.get(line_id, "")},
            }
            for line_id, what in missing
        ]
    raise EvidenceMissing(lines[0]["text"], lines=lines)


def _apply_decision(return_request: Return, evaluation: eligibility.Evaluation) -> None:
    """Move the new return where the rules sent it: approved, to review, or rejected."""
    decision = evaluation.decision
    target = {"approve": S.APPROVED, "returnless": S.APPROVED, "review": S.PENDING_REVIEW}.get(
        decision.outcome
    )
    data = {"rules": list(decision.fired_rules), "outcome": decision.outcome}
    if decision.outcome == "reject":
        messages = decision.message or {}
        reason = messages.get(return_request.locale[:2]) or messages.get("en") or ""
        return_request.status_reason = reason or next(iter(messages.values()), "")
        lifecycle.transition(return_request, S.REJECTED, actor=POLICY_ACTOR, data=data)
        Return.objects.filter(pk=return_request.pk).update(
            status_reason=return_request.status_reason
        )
    elif target is not None:
        lifecycle.transition(return_request, target, actor=POLICY_ACTOR, data=data)


def _locked(return_request: Return) -> Return:
    return Return.objects.select_for_update().get(pk=return_request.pk)


def _move(return_request: Return, target: str, *, actor: Actor, data: dict | None = None) -> Return:
    """Lock the return and move it to `target` (call inside the service's transaction)."""
    return_request = _locked(return_request)
    lifecycle.transition(return_request, target, actor=actor, data=data)
    return return_request


@transaction.atomic
def send_to_review(*, return_request: Return, actor: Actor, reason: str = "") -> Return:
    return _move(return_request, S.PENDING_REVIEW, actor=actor, data={"reason": reason})


@transaction.atomic
def approve_return(*, return_request: Return, actor: Actor, note: str = "") -> Return:
    return _move(return_request, S.APPROVED, actor=actor, data={"note": note})


@transaction.atomic
def reject_return(*, return_request: Return, actor: Actor, reason: str) -> Return:
    if not reason.strip():
        raise InvalidRequest(_("Tell the shopper why the return is rejected."))
    return_request = _locked(return_request)
    lifecycle.transition(return_request, S.REJECTED, actor=actor, data={"reason": reason})
    Return.objects.filter(pk=return_request.pk).update(status_reason=reason)
    return_request.status_reason = reason
    return return_request


@transaction.atomic
def cancel_return(*, return_request: Return, actor: Actor, reason: str = "") -> Return:
    return _move(return_request, S.CANCELLED, actor=actor, data={"reason": reason})


# Before a label exists the method is only a choice; with a label, void it first (logistics).
_METHOD_CHANGEABLE = frozenset({S.REQUESTED, S.PENDING_REVIEW, S.APPROVED})


@transaction.atomic
def change_method(*, return_request: Return, actor: Actor, method: str, reason: str = "") -> Return:
    """Staff change how the parcel comes back (e.g. drop-off → pickup) before any label."""
    if method not in ReturnMethod.values:
        raise InvalidRequest(_("Unknown return method: %s") % method)
    return_request = _locked(return_request)
    if return_request.status not in _METHOD_CHANGEABLE:
        raise lifecycle.IllegalTransition(
            _("The method can change only before a label is issued; void the label first.")
        )
    if method == return_request.method:
        return return_request
    data = {"from": return_request.method, "to": method, "reason": reason}
    Return.objects.filter(pk=return_request.pk).update(method=method)
    return_request.method = method
    lifecycle.record_event(return_request, "method_changed", actor=actor, data=data)
    return return_request


@transaction.atomic
def post_message(
    *, return_request: Return, actor: Actor, body: str, kind: str = MessageKind.TO_SHOPPER
) -> ReturnMessage:
    """A message to (or from) the shopper, or an internal note. A message to the shopper emits
    `return.message_sent`, which notifications send by e-mail; a note's text never leaves the
    database (its event only says that a note was added)."""
    body = body.strip()
    if not body:
        raise InvalidRequest(_("Write a message first."))
    if kind not in MessageKind.values:
        raise InvalidRequest(_("Unknown kind of message: %s") % kind)
    return_request = _locked(return_request)
    message = ReturnMessage.objects.create(
        return_request=return_request, kind=kind, body=body, **actor.audit_fields()
    )
    data = {"message_id": message.pk}
    if kind == MessageKind.TO_SHOPPER:
        data["message"] = body
    event_kind = {MessageKind.NOTE: "note_added", MessageKind.FROM_SHOPPER: "message_received"}
    lifecycle.record_event(
        return_request, event_kind.get(kind, "message_sent"), actor=actor, data=data
    )
    return message


@transaction.atomic
def expire_return(*, return_request: Return, actor: Actor) -> Return:
    return _move(return_request, S.EXPIRED, actor=actor)


@transaction.atomic
def record_label(
    *, return_request: Return, carrier: str, tracking_number: str, actor: Actor
) -> Return:
    """A label exists for the parcel (made by Retour's carrier adapters or outside)."""
    if not tracking_number.strip():
        raise InvalidRequest(_("A label needs a tracking number."))
    return_request = _locked(return_request)
    lifecycle.transition(
        return_request,
        S.LABEL_ISSUED,
        actor=actor,
        data={"carrier": carrier, "tracking_number": tracking_number},
    )
    Return.objects.filter(pk=return_request.pk).update(
        carrier=carrier, tracking_number=tracking_number
    )
    return_request.carrier, return_request.tracking_number = carrier, tracking_number
    return return_request


@transaction.atomic
def mark_in_transit(*, return_request: Return, actor: Actor, data: dict | None = None) -> Return:
    return _move(return_request, S.IN_TRANSIT, actor=actor, data=data)


@transaction.atomic
def mark_delivered(*, return_request: Return, actor: Actor, data: dict | None = None) -> Return:
    return _move(return_request, S.DELIVERED, actor=actor, data=data)


def _lines_by_id(return_request: Return, line_ids) -> dict[int, ReturnLine]:
    lines = {line.pk: line for line in return_request.lines.select_for_update().order_by("id")}
    unknown = set(line_ids) - set(lines)
    if unknown:
        raise InvalidRequest(
            _("These lines are not part of return %(rma)s: %(ids)s")
            % {"rma": return_request.rma, "ids": ", ".join(map(str, sorted(unknown)))}
        )
    return lines


@transaction.atomic
def receive_lines(
    *, return_request: Return, receipts: Sequence[LineReceipt], actor: Actor
) -> Return:
    """Record what arrived for some lines; the first receipt moves the return to `received`.
    Lines can be received one at a time; a line received again gets its count corrected."""
    return_request = _locked(return_request)
    if return_request.status != S.RECEIVED and not lifecycle.can_transition(
        return_request.status, S.RECEIVED
    ):
        raise lifecycle.IllegalTransition(
            _("Items of a return that is “%(status)s” cannot be received.")
            % {"status": S(return_request.status).label}
        )
    lines = _lines_by_id(return_request, [receipt.line_id for receipt in receipts])
    for receipt in receipts:
        line = lines[receipt.line_id]
        if line.status == LineStatus.INSPECTED:
            raise lifecycle.IllegalTransition(_("This line is already inspected."), line_id=line.pk)
        if not 0 <= receipt.received_qty <= line.quantity:
            raise InvalidRequest(
                _("Between 0 and %(max)d units of this line can be received.")
                % {"max": line.quantity},
                line_id=line.pk,
            )
        line.received_qty = receipt.received_qty
        line.status = LineStatus.RECEIVED
    ReturnLine.objects.bulk_update([lines[r.line_id] for r in receipts], ["received_qty", "status"])
    data = {"lines": [{"line": r.line_id, "received": r.received_qty} for r in receipts]}
    if return_request.status == S.RECEIVED:
        lifecycle.record_event(return_request, "lines_received", actor=actor, data=data)
    else:
        lifecycle.transition(
            return_request, S.RECEIVED, actor=actor, data=data, kind="lines_received"
        )
    return return_request


@transaction.atomic
def inspect_lines(
    *,
    return_request: Return,
    inspections: Sequence[LineInspection],
    actor: Actor,
    event_data: Mapping[str, Any] | None = None,
) -> Return:
    """Record what we accept of each line; once every line is inspected the return is too.
    `event_data`: more facts for the event (e.g. the warehouse's deductions, which the refund
    reads from the `return.inspected` outbox event)."""
    return_request = _locked(return_request)
    if return_request.status != S.RECEIVED:
        raise lifecycle.IllegalTransition(
            _("Only a received return can be inspected (this one is “%(status)s”).")
            % {"status": S(return_request.status).label}
        )
    lines = _lines_by_id(return_request, [inspection.line_id for inspection in inspections])
    for inspection in inspections:
        line = lines[inspection.line_id]
        if not 0 <= inspection.accepted_qty <= line.received_qty:
            raise InvalidRequest(
                _("At most the %(received)d received units can be accepted.")
                % {"received": line.received_qty},
                line_id=line.pk,
            )
        if not 0 <= inspection.damaged_qty <= line.received_qty:
            raise InvalidRequest(_("More damaged units than received."), line_id=line.pk)
        line.accepted_qty = inspection.accepted_qty
        line.damaged_qty = inspection.damaged_qty
        line.grade = inspection.grade
        line.disposition = inspection.disposition
        line.status = LineStatus.INSPECTED
    ReturnLine.objects.bulk_update(
        [lines[i.line_id] for i in inspections],
        ["accepted_qty", "damaged_qty", "grade", "disposition", "status"],
    )
    data = {
        "lines": [
            {"line": i.line_id, "accepted": i.accepted_qty, "grade": i.grade} for i in inspections
        ],
        **(event_data or {}),
    }
    if all(line.status == LineStatus.INSPECTED for line in lines.values()):
        lifecycle.transition(
            return_request, S.INSPECTED, actor=actor, data=data, kind="lines_inspected"
        )
    else:
        lifecycle.record_event(return_request, "lines_inspected", actor=actor, data=data)
    return return_request


@transaction.atomic
def resolve_return(
    *, return_request: Return, actor: Actor, outcome: str, reference: str = ""
) -> Return:
    """Record how the return was settled (refund, store credit or exchange)."""
    if outcome not in Resolution.values:
        raise InvalidRequest(_("Unknown resolution: %s") % outcome)
    return_request = _locked(return_request)
    lifecycle.transition(
        return_request, S.RESOLVED, actor=actor, data={"outcome": outcome, "reference": reference}
    )
    return return_request


@transaction.atomic
def close_return(*, return_request: Return, actor: Actor) -> Return:
    return _move(return_request, S.CLOSED, actor=actor)


@transaction.atomic
def create_claim(
    *, order: Order, kind: str, lines: Sequence[LineRequest], actor: Actor, description: str = ""
) -> Claim:
    """Report damaged, missing or wrong items: no parcel comes back, but the units count
    against what can still be returned."""
    if kind not in ClaimKind.values:
        raise InvalidRequest(_("Unknown claim kind: %s") % kind)
    order = _lock_order(order)
    _check_quantities(order, lines)
    claim = insert_with_unique_code(
        Claim,
        "C",
        "number",
        store_id=order.store_id,
        order=order,
        customer_id=order.customer_id,
        kind=kind,
        description=description,
    )
    ClaimLine.objects.bulk_create(
        ClaimLine(claim=claim, order_line_id=r.order_line_id, quantity=r.quantity) for r in lines
    )
    record_audit(
        store=order.store,
        actor=actor,
        verb="claim.created",
        obj=claim,
        data={"kind": kind, "lines": [[r.order_line_id, r.quantity] for r in lines]},
    )
    return claim


@transaction.atomic
def decide_claim(
    *, claim: Claim, actor: Actor, approve: bool, resolution: str = "", reason: str = ""
) -> Claim:
    """Approve a claim with its resolution (refund or replacement), or reject it (`reason` is
    told to the shopper). The shopper is e-mailed (`claim.approved`, `claim.rejected`).

    Only an open claim is decided, and the check runs under its row lock: a second decision (a
    double submit, two staff at once) raises `IllegalTransition` and changes nothing."""
    claim = Claim.objects.select_for_update().select_related("store", "order").get(pk=claim.pk)
    if claim.status != ClaimStatus.OPEN:
        raise lifecycle.IllegalTransition(_("This claim is already decided."))
    if approve and resolution not in ClaimResolution.values:
        raise InvalidRequest(_("Choose a refund or a replacement."))
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.resolution = resolution if approve else ""
    claim.save(update_fields=["status", "resolution", "updated_at"])
    reason = "" if approve else reason.strip()[:1000]
    record_audit(
        store=claim.store,
        actor=actor,
        verb=f"claim.{claim.status}",
        obj=claim,
        data={"resolution": claim.resolution, "reason": reason},
    )
    emit(f"claim.{claim.status}", store_id=claim.store_id, payload=claim_payload(claim, reason))
    return claim


@transaction.atomic
def resolve_claim(*, claim: Claim, actor: Actor, reference: str = "") -> Claim:
    """An approved claim got what it was approved for (its refund paid): resolved. Once: an
    already resolved claim is left as it is."""
    claim = Claim.objects.select_for_update().select_related("store").get(pk=claim.pk)
    if claim.status != ClaimStatus.APPROVED:
        return claim
    claim.status = ClaimStatus.RESOLVED
    claim.save(update_fields=["status", "updated_at"])
    record_audit(
        store=claim.store,
        actor=actor,
        verb="claim.resolved",
        obj=claim,
        data={"resolution": claim.resolution, "reference": reference},
    )
    return claim


def claim_payload(claim: Claim, reason: str = "") -> dict[str, Any]:
    """What webhooks and the shopper's e-mail get: the claim as decided, with its items."""
    lines = claim.lines.select_related("order_line").order_by("id")
    return {
        "claim": {
            "id": claim.pk,
            "number": claim.number,
            "kind": claim.kind,
            "status": claim.status,
            "resolution": claim.resolution,
            "order": {"id": claim.order_id, "number": claim.order.number},
            "lines": [
                {
                    "order_line": line.order_line_id,
                    "title": line.order_line.title,
                    "sku": line.order_line.sku,
                    "quantity": line.quantity,
                }
                for line in lines
            ],
        },
        "data": {"reason": reason},
    }


@transaction.atomic
def install_default_reasons(*, store, actor: Actor) -> int:
    """Give a store the default reason catalogue; existing codes are left as the store set them."""
    from retour.returns.catalogue import DEFAULT_REASONS

    existing = set(ReturnReason.objects.filter(store=store).values_list("code", flat=True))
    created = 0
    for position, (code, en, fr, fault, comment, photo, children) in enumerate(DEFAULT_REASONS):
        if code in existing:
            continue
        parent = ReturnReason.objects.create(
            store=store,
            code=code,
            labels={"en": en, "fr": fr},
            merchant_fault=fault,
            requires_comment=comment,
            requires_photo=photo,
            position=position * 10,
        )
        created += 1
        for offset, (child_code, child_en, child_fr) in enumerate(children, start=1):
            ReturnReason.objects.create(
                store=store,
                code=child_code,
                parent=parent,
                labels={"en": child_en, "fr": child_fr},
                merchant_fault=fault,
                position=position * 10 + offset,
            )
            created += 1
    if created:
        record_audit(
            store=store, actor=actor, verb="reasons.installed", obj=store, data={"count": created}
        )
    return created


@dataclass(frozen=True)
class ReasonInput:
    """A reason of the store's catalogue as staff edit it (the code is fixed once created)."""

    code: str
    label_en: str
    label_fr: str
    parent_id: int | None = None
    merchant_fault: bool = False
    requires_comment: bool = False
    requires_photo: bool = False


def _check_reason(store, data: ReasonInput, reason: ReturnReason | None) -> ReturnReason | None:
    if not data.label_en.strip() or not data.label_fr.strip():
        raise InvalidRequest(
            _("Give the reason a label in English and in French."), field="label_en"
        )
    if reason is None and ReturnReason.objects.filter(store=store, code=data.code).exists():
        raise InvalidRequest(
            _("The code “%(code)s” is taken already.") % {"code": data.code}, field="code"
        )
    if data.parent_id is None:
        return None
    parent = ReturnReason.objects.filter(
        store=store, pk=data.parent_id, parent__isnull=True
    ).first()
    if parent is None or (reason is not None and parent.pk == reason.pk):
        raise InvalidRequest(_("Choose a main reason as the parent."), field="parent")
    if reason is not None and reason.children.exists():
        raise InvalidRequest(
            _("A reason with sub-reasons cannot become a sub-reason itself."), field="parent"
        )
    return parent


@transaction.atomic
def save_reason(
    *, store, data: ReasonInput, actor: Actor, reason: ReturnReason | None = None
) -> ReturnReason:
    """Create a reason (at the end of the catalogue) or change one; both languages required."""
    parent = _check_reason(store, data, reason)
    if reason is None:
        last = ReturnReason.objects.filter(store=store).order_by("-position").first()
        reason = ReturnReason(
            store=store, code=data.code, position=(last.position + 10) if last else 0
        )
    reason.parent = parent
    reason.labels = {"en": data.label_en.strip(), "fr": data.label_fr.strip()}
    reason.merchant_fault = data.merchant_fault
    reason.requires_comment = data.requires_comment
    reason.requires_photo = data.requires_photo
    created = reason.pk is None
    reason.save()
    record_audit(
        store=store,
        actor=actor,
        verb="reason.created" if created else "reason.updated",
        obj=reason,
        data={"code": reason.code, "labels": reason.labels},
    )
    return reason


@transaction.atomic
def set_reason_active(*, reason: ReturnReason, active: bool, actor: Actor) -> ReturnReason:
    """Offer a reason to shoppers again, or stop offering it (returns that used it keep it)."""
    ReturnReason.objects.filter(pk=reason.pk).update(active=active)
    reason.active = active
    verb = "reason.activated" if active else "reason.deactivated"
    record_audit(store=reason.store, actor=actor, verb=verb, obj=reason, data={"code": reason.code})
    return reason


@transaction.atomic
def move_reason(*, reason: ReturnReason, up: bool, actor: Actor) -> ReturnReason:
    """Swap a reason with its neighbour among the reasons of the same parent."""
    siblings = list(
        ReturnReason.objects.select_for_update()
        .filter(store_id=reason.store_id, parent_id=reason.parent_id)
        .order_by("position", "id")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == reason.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return reason
    siblings[index], siblings[other] = siblings[other], siblings[index]
    positions = sorted(sibling.position for sibling in siblings)
    if len(set(positions)) < len(positions):  # equal positions: spread them out
        positions = [i * 10 for i in range(len(siblings))]
    for sibling, position in zip(siblings, positions, strict=True):
        if sibling.position != position:
            ReturnReason.objects.filter(pk=sibling.pk).update(position=position)
    record_audit(
        store=reason.store,
        actor=actor,
        verb="reason.moved",
        obj=reason,
        data={"code": reason.code, "direction": "up" if up else "down"},
    )
    return reason
