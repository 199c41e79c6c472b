"""Every write of the warehouse: receiving a parcel, inspecting a unit, deciding what becomes of
it, restocking. Each function is one transaction and leaves an audit event (a `ReturnEvent` with
the operator); status changes go through `returns.services`, which go through the lifecycle.

Lock order, as everywhere: the return row, then its lines (`returns.services`), then the
inspection units, then stock levels.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.models import StockLevel, StockMovement, Variant, Warehouse
from retour.core.actors import Actor
from retour.core.errors import Conflict, InvalidRequest
from retour.core.money import ZERO, quantize
from retour.events.outbox import emit
from retour.returns import lifecycle
from retour.returns import services as returns
from retour.returns.choices import LineStatus
from retour.returns.choices import ReturnStatus as S
from retour.returns.models import Return, ReturnLine
from retour.warehouse import law
from retour.warehouse.choices import RESTOCKING, DiscrepancyKind, Disposition, Outcome
from retour.warehouse.models import (
    InspectionUnit,
    Receipt,
    ReceivingDiscrepancy,
    WarehouseSettings,
)
from retour.warehouse.selectors import grades_for, rules_for, suggest_disposition


class AlreadyReceived(Conflict):
    code = "already_received"


class AlreadyInspected(Conflict):
    code = "already_inspected"


class AlreadyDisposed(Conflict):
    code = "already_disposed"


class DestructionForbidden(InvalidRequest):
    code = "destruction_forbidden"


@dataclass(frozen=True)
class ExtraItem:
    """Something in the parcel that was not announced: a product of the order (`extra`) or not
    (`wrong_item`), named by the code scanned or typed, with a photo where one was taken."""

    kind: str
    code: str = ""
    quantity: int = 1
    note: str = ""
    variant_id: int | None = None
    photo: UploadedFile | None = field(default=None, compare=False)


# --- receiving --------------------------------------------------------------------------------


@transaction.atomic
def receive_parcel(
    *,
    return_request: Return,
    warehouse: Warehouse | None,
    quantities: Mapping[int, int],
    actor: Actor,
    extras: Sequence[ExtraItem] = (),
    scanned: Sequence[str] = (),
) -> Receipt:
    """Record what the parcel of a return held: `quantities` (return line id → units found; a
    line not named had none), and what it held that was not announced. A line with fewer units
    than announced is a `missing` discrepancy. `warehouse` None: the store's default one. The
    first receipt moves the return to `received` (and the shopper is told, by the outbox event
    of that transition).

    Two stations scanning the same parcel at once: both call this; the second waits on the
    return's row lock taken first thing below, then finds the receipt the first one wrote and
    fails with `AlreadyReceived`, writing nothing. The one-to-one constraint on `Receipt` is the
    last guard should a caller ever skip the lock.
    """
    locked = Return.objects.select_for_update().get(pk=return_request.pk)
    if Receipt.objects.filter(return_request=locked).exists():
        raise AlreadyReceived(
            _("Return %(rma)s has already been received.") % {"rma": locked.rma}, rma=locked.rma
        )
    if not lifecycle.can_transition(locked.status, S.RECEIVED):
        raise lifecycle.IllegalTransition(
            _("A return that is “%(status)s” cannot be received.")
            % {"status": S(locked.status).label}
        )
    if warehouse is None:
        warehouse = Warehouse.objects.get(pk=_default_warehouse_id(locked))
    if warehouse.store_id != locked.store_id:
        raise InvalidRequest(_("This warehouse belongs to another store."))
    lines = list(locked.lines.order_by("id"))
    unknown = set(quantities) - {line.pk for line in lines}
    if unknown:
        raise InvalidRequest(
            _("These lines are not part of return %(rma)s: %(ids)s")
            % {"rma": locked.rma, "ids": ", ".join(map(str, sorted(unknown)))}
        )
    for extra in extras:
        if extra.kind not in (DiscrepancyKind.EXTRA, DiscrepancyKind.WRONG_ITEM):
            raise InvalidRequest(_("An unannounced item is either extra or wrong."))
        if extra.quantity < 1:
            raise InvalidRequest(_("The quantity must be at least 1."))
    # receive_lines checks the status and the quantities, and moves the return to `received`
    # (it locks the row again: a no-op inside this transaction).
    returns.receive_lines(
        return_request=locked,
        receipts=[returns.LineReceipt(line.pk, quantities.get(line.pk, 0)) for line in lines],
        actor=actor,
    )
    counts = {line.pk: quantities.get(line.pk, 0) for line in lines}
    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(
                return_request=locked,
                warehouse=warehouse,
                operator_id=actor.user_id,
                operator_label=actor.label,
                expected_units=sum(line.quantity for line in lines),
                received_units=sum(counts.values()),
                scanned=[code[:100] for code in scanned][:500],
            )
    except IntegrityError as error:  # only without the lock above: see the docstring
        raise AlreadyReceived(
            _("Return %(rma)s has already been received.") % {"rma": locked.rma}
        ) from error
    discrepancies = [
        ReceivingDiscrepancy(
            receipt=receipt,
            kind=DiscrepancyKind.MISSING,
            return_line=line,
            variant_id=line.order_line.variant_id,
            code=line.order_line.sku,
            quantity=line.quantity - counts[line.pk],
        )
        for line in lines
        if counts[line.pk] < line.quantity
    ]
    discrepancies += [
        ReceivingDiscrepancy(
            receipt=receipt,
            kind=extra.kind,
            variant_id=extra.variant_id,
            code=extra.code[:100],
            quantity=extra.quantity,
            note=extra.note,
        )
        for extra in extras
    ]
    for discrepancy, extra in zip(
        discrepancies[len(discrepancies) - len(extras) :], extras, strict=True
    ):
        if extra.photo is not None:
            discrepancy.photo.save(extra.photo.name, extra.photo, save=False)
    ReceivingDiscrepancy.objects.bulk_create(discrepancies)
    lifecycle.record_event(
        locked,
        "parcel_received",
        actor=actor,
        data={
            "warehouse": warehouse.code,
            "expected": receipt.expected_units,
            "received": receipt.received_units,
            "discrepancies": [
                {"kind": d.kind, "code": d.code, "quantity": d.quantity, "line": d.return_line_id}
                for d in discrepancies
            ],
        },
    )
    if receipt.received_units == 0:
        # An empty parcel: nothing to inspect, every line is settled at 0 accepted.
        returns.inspect_lines(
            return_request=locked,
            inspections=[returns.LineInspection(line.pk, 0) for line in lines],
            actor=actor,
        )
    return_request.status = locked.status
    return receipt


@transaction.atomic
def record_discrepancy(*, receipt: Receipt, extra: ExtraItem, actor: Actor) -> ReceivingDiscrepancy:
    """An unannounced item found after the parcel was received (e.g. with its photo)."""
    locked = Return.objects.select_for_update().get(pk=receipt.return_request_id)
    if extra.kind not in DiscrepancyKind.values or extra.quantity < 1:
        raise InvalidRequest(_("Say what the item is and how many there are."))
    discrepancy = ReceivingDiscrepancy(
        receipt=receipt,
        kind=extra.kind,
        variant_id=extra.variant_id,
        code=extra.code[:100],
        quantity=extra.quantity,
        note=extra.note,
    )
    if extra.photo is not None:
        discrepancy.photo.save(extra.photo.name, extra.photo, save=False)
    discrepancy.save()
    lifecycle.record_event(
        locked,
        "discrepancy_recorded",
        actor=actor,
        data={"kind": extra.kind, "code": discrepancy.code, "quantity": extra.quantity},
    )
    return discrepancy


# --- inspection -------------------------------------------------------------------------------


def _unit_paid_price(line: ReturnLine) -> Decimal:
    """What the shopper paid for one unit of the line: its price less its share of discounts."""
    order_line = line.order_line
    return order_line.unit_price - order_line.discount / max(order_line.quantity, 1)


@transaction.atomic
def inspect_unit(
    *,
    return_line: ReturnLine,
    unit_index: int,
    grade: str,
    actor: Actor,
    checklist: Mapping[str, bool] | None = None,
    notes: str = "",
    photos: Sequence[str] = (),
    outcome: str = "",
    deduction: Decimal | None = None,
    reason: str = "",
) -> InspectionUnit:
    """Grade one received unit and decide its refund: `outcome` (by default the grade's),
    `deduction` for a partial refund (at most what the grade allows, by default all of it) and
    the `reason` told to the shopper (by default the grade's name). The disposition the store's
    rules suggest is recorded; `apply_disposition` carries it out.

    When every received unit of a line is inspected, the line is (accepted = units not refused),
    and when every line is, the return becomes `inspected` and the shopper is told.
    """
    return_request = (
        Return.objects.select_for_update()
        .select_related("order")
        .get(pk=return_line.return_request_id)
    )
    if return_request.status != S.RECEIVED:
        raise lifecycle.IllegalTransition(
            _("Only a received return can be inspected (this one is “%(status)s”).")
            % {"status": S(return_request.status).label}
        )
    lines = list(
        return_request.lines.select_for_update(of=("self",))
        .select_related("order_line__variant__product")
        .order_by("id")
    )
    line = next((candidate for candidate in lines if candidate.pk == return_line.pk), None)
    if line is None or line.status != LineStatus.RECEIVED:
        raise AlreadyInspected(_("This line is already inspected."), line_id=return_line.pk)
    if not 1 <= unit_index <= line.received_qty:
        raise InvalidRequest(
            _("This line has %(count)d received units.") % {"count": line.received_qty},
            line_id=line.pk,
        )
    grades = {g.code: g for g in grades_for(return_request.store_id)}
    found = grades.get(grade.strip().upper())
    if found is None:
        raise InvalidRequest(
            _("Unknown grade: %(grade)s (the scale is %(scale)s)")
            % {"grade": grade, "scale": ", ".join(grades)}
        )
    outcome = outcome or found.outcome
    if outcome not in Outcome.values:
        raise InvalidRequest(_("Unknown refund outcome: %s") % outcome)
    currency = return_request.order.currency
    allowed = quantize(found.max_deduction_rate * _unit_paid_price(line), currency)
    if outcome == Outcome.PARTIAL:
        deduction = allowed if deduction is None else quantize(deduction, currency)
        if not ZERO < deduction <= allowed:
            raise InvalidRequest(
                _("For grade %(grade)s the policy allows a deduction of at most %(max)s.")
                % {"grade": found.code, "max": allowed},
                allowed=str(allowed),
            )
    elif deduction:
        raise InvalidRequest(_("Only a partial refund has a deduction."))
    else:
        deduction = ZERO
    if outcome != Outcome.FULL:
        reason = reason.strip() or found.label(return_request.locale)
    product = line.order_line.variant.product if line.order_line.variant else None
    suggestion = suggest_disposition(
        rules_for(return_request.store_id),
        grade=found.code,
        category=product.category if product else "",
    )
    receipt = Receipt.objects.filter(return_request=return_request).select_related("warehouse")
    receipt = receipt.first()
    warehouse_id = receipt.warehouse_id if receipt else _default_warehouse_id(return_request)
    try:
        with transaction.atomic():
            unit = InspectionUnit.objects.create(
                return_line=line,
                unit_index=unit_index,
                warehouse_id=warehouse_id,
                grade=found.code,
                checklist={str(k): bool(v) for k, v in (checklist or {}).items()},
                notes=notes,
                photos=list(photos),
                outcome=outcome,
                deduction=deduction,
                reason=reason,
                inspected_by_id=actor.user_id,
                suggested_disposition=suggestion,
            )
    except IntegrityError as error:
        raise AlreadyInspected(
            _("Unit %(unit)d of this line is already inspected.") % {"unit": unit_index}
        ) from error
    lifecycle.record_event(
        return_request,
        "unit_inspected",
        actor=actor,
        data={
            "line": line.pk,
            "unit": unit_index,
            "grade": found.code,
            "outcome": outcome,
            "deduction": str(deduction),
            "reason": reason,
            "checklist": unit.checklist,
            "suggested_disposition": suggestion,
        },
    )
    _settle_complete_lines(return_request, lines, grades, actor)
    return unit


def _default_warehouse_id(return_request: Return) -> int:
    warehouse = (
        Warehouse.objects.filter(store_id=return_request.store_id)
        .order_by("-is_default", "id")
        .first()
    )
    if warehouse is None:
        raise InvalidRequest(_("The store has no warehouse."))
    return warehouse.pk


def _settle_complete_lines(return_request: Return, lines, grades, actor: Actor) -> None:
    """Mark inspected, through `returns.services.inspect_lines`, every received line whose
    received units are all inspected (lines that received none are complete too)."""
    units: dict[int, list[InspectionUnit]] = {}
    for unit in InspectionUnit.objects.filter(return_line__in=lines).order_by("unit_index"):
        units.setdefault(unit.return_line_id, []).append(unit)
    complete = [
        line
        for line in lines
        if line.status == LineStatus.RECEIVED and len(units.get(line.pk, [])) == line.received_qty
    ]
    # Wait until a unit was inspected somewhere: a line that received nothing is settled with
    # the others, not on its own.
    if not complete or all(line.received_qty == 0 for line in complete):
        return
    order = {code: position for position, code in enumerate(grades)}
    inspections = []
    for line in complete:
        found = units.get(line.pk, [])
        dispositions = {unit.suggested_disposition for unit in found}
        worst = max((unit.grade for unit in found), key=lambda g: order.get(g, 0), default="")
        inspections.append(
            returns.LineInspection(
                line.pk,
                accepted_qty=sum(unit.outcome != Outcome.REFUSED for unit in found),
                damaged_qty=sum(
                    not grades[unit.grade].sellable for unit in found if unit.grade in grades
                ),
                grade=worst,
                disposition=dispositions.pop() if len(dispositions) == 1 else "mixed",
            )
        )
    returns.inspect_lines(return_request=return_request, inspections=inspections, actor=actor)


# --- disposition and stock --------------------------------------------------------------------


def enterprise_size(store_id: int) -> str:
    found = WarehouseSettings.objects.filter(store_id=store_id).values_list(
        "enterprise_size", flat=True
    )
    return found.first() or WarehouseSettings._meta.get_field("enterprise_size").default


@transaction.atomic
def apply_disposition(
    *,
    unit: InspectionUnit,
    actor: Actor,
    disposition: str = "",
    override_reason: str = "",
    derogations: Sequence[str] = (),
    note: str = "",
) -> InspectionUnit:
    """Carry out what becomes of an inspected unit: the rules' suggestion, or `disposition`
    with the `override_reason` (its author is recorded). Restocking writes a stock movement and
    emits `stock.restocked`. A destruction the law forbids is refused with the rule cited, unless
    the `derogations` given include one that each applicable rule accepts."""
    unit = (
        InspectionUnit.objects.select_for_update(of=("self",))
        .select_related(
            "return_line__return_request__store",
            "return_line__order_line__variant__product",
            "warehouse",
        )
        .get(pk=unit.pk)
    )
    if unit.disposed_at is not None:
        raise AlreadyDisposed(
            _("This unit is already disposed of (%(disposition)s).")
            % {"disposition": Disposition(unit.disposition).label}
        )
    disposition = disposition or unit.suggested_disposition
    if disposition not in Disposition.values:
        raise InvalidRequest(_("Choose a disposition for this unit."))
    overridden = bool(unit.suggested_disposition) and disposition != unit.suggested_disposition
    if overridden and not override_reason.strip():
        raise InvalidRequest(_("Say why the suggested disposition is not followed."))
    return_request = unit.return_line.return_request
    store = return_request.store
    variant = unit.return_line.order_line.variant
    category = variant.product.category if variant else ""
    verdict = law.judge(
        disposition,
        country=store.country,
        category=category,
        size=enterprise_size(store.pk),
        on=timezone.localdate(),
        derogations=derogations,
    )
    if not verdict.allowed:
        missing = verdict.missing()
        raise DestructionForbidden(
            _(
                "%(disposition)s is forbidden for this unit: %(rules)s. It is allowed only with "
                "one of the legal derogations of each rule."
            )
            % {
                "disposition": Disposition(disposition).label,
                "rules": "; ".join(f"{ban.title} ({ban.citation})" for ban in missing),
            },
            rules=[{"code": ban.code, "citation": ban.citation} for ban in missing],
            derogations=[
                {"code": d.code, "label": str(d.label), "citation": d.citation}
                for ban in missing
                for d in ban.derogations
            ],
        )
    restocked = None
    if disposition in RESTOCKING:
        if variant is None:
            raise InvalidRequest(
                _("This item has no SKU in the catalogue: it cannot be restocked.")
            )
        if disposition == Disposition.RESTOCK_GRADED:
            variant = graded_variant(variant, unit.grade)
        restocked = variant
        _restock(unit, variant, actor)
    unit.disposition = disposition
    unit.disposition_override_by_id = actor.user_id if overridden else None
    unit.disposition_override_reason = override_reason.strip() if overridden else ""
    unit.legal_derogations = list(verdict.derogations)
    unit.disposition_note = note
    unit.restocked_variant = restocked
    unit.disposed_at = timezone.now()
    unit.save(
        update_fields=[
            "disposition",
            "disposition_override_by",
            "disposition_override_reason",
            "legal_derogations",
            "disposition_note",
            "restocked_variant",
            "disposed_at",
        ]
    )
    lifecycle.record_event(
        return_request,
        "unit_disposed",
        actor=actor,
        data={
            "line": unit.return_line_id,
            "unit": unit.unit_index,
            "disposition": disposition,
            "suggested": unit.suggested_disposition,
            "override_reason": unit.disposition_override_reason,
            "derogations": unit.legal_derogations,
            "rules": [ban.code for ban in verdict.bans],
            "sku": restocked.sku if restocked else "",
        },
    )
    return unit


def graded_variant(variant: Variant, grade: str) -> Variant:
    """The graded SKU of `variant` (e.g. SKU-B), created on first use with the grade's price
    rule. Two stations creating it at once: `get_or_create` retries the read when its insert
    hits the unique (store, sku) constraint."""
    grades = {g.code: g for g in grades_for(variant.store_id)}
    found = grades.get(grade)
    rate = found.graded_price_rate if found else Decimal("1")
    label = found.label() if found else grade
    graded, _created = Variant.objects.get_or_create(
        store_id=variant.store_id,
        sku=f"{variant.sku}-{grade}",
        defaults={
            "product_id": variant.product_id,
            "title": f"{variant.title or variant.sku} ({label})"[:200],
            "options": {**variant.options, "grade": grade},
            "price": (variant.price * rate).quantize(Decimal("0.01")),
            "weight_grams": variant.weight_grams,
        },
    )
    return graded


def _restock(unit: InspectionUnit, variant: Variant, actor: Actor) -> None:
    """One unit back on the shelf: a ledger row and the level moved by it, in SQL (`F()`), never
    read-modify-written in Python (two restocks at once must both count)."""
    warehouse = unit.warehouse
    return_request = unit.return_line.return_request
    level, _created = StockLevel.objects.get_or_create(warehouse=warehouse, variant=variant)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + 1)
    reference = f"{return_request.rma}/{unit.return_line_id}/{unit.unit_index}"
    movement = StockMovement.objects.create(
        warehouse=warehouse,
        variant=variant,
        delta=1,
        reason=StockMovement.Reason.RESTOCK,
        reference=reference,
    )
    emit(
        "stock.restocked",
        store_id=return_request.store_id,
        payload={
            "movement": movement.pk,
            "warehouse": {"id": warehouse.pk, "code": warehouse.code},
            "variant": {
                "id": variant.pk,
                "sku": variant.sku,
                "external_id": variant.external_id,
                "barcode": variant.barcode,
            },
            "delta": 1,
            "reason": StockMovement.Reason.RESTOCK,
            "grade": unit.grade,
            "return": {"id": return_request.pk, "rma": return_request.rma},
            "reference": reference,
            "actor": {"kind": actor.kind, "label": actor.label},
            "occurred_at": movement.created_at.isoformat(),
        },
    )
