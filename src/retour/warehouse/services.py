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
from django.db.models import F, Max
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
)
from retour.warehouse.photos import delete_photos, save_photos
from retour.warehouse.selectors import (
    deductions_payload,
    enterprise_size,
    grades_for,
    largest_deduction,
    rules_for,
    suggest_disposition,
)


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
        _settle_empty_parcel(locked, lines, actor)
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


@transaction.atomic
def correct_receipt(
    *, receipt: Receipt, quantities: Mapping[int, int], reason: str, actor: Actor
) -> Receipt:
    """Correct the units counted on receipt (return line id → the right count), with the reason,
    before those units are inspected: a line already inspected, or a count below the units of
    the line already inspected, is refused. Missing items are recounted; a line whose units are
    now all inspected is settled, and a parcel now empty is inspected at once.

    Who may: the `receipts:correct` scope (owners; not the operator who counted), checked by
    the interface."""
    locked = (
        Return.objects.select_for_update().select_related("order").get(pk=receipt.return_request_id)
    )
    if not reason.strip():
        raise InvalidRequest(_("Say why the counts are corrected."))
    if locked.status != S.RECEIVED:
        raise lifecycle.IllegalTransition(
            _("The counts of a return that is “%(status)s” can no longer be corrected.")
            % {"status": S(locked.status).label}
        )
    lines = {line.pk: line for line in locked.lines.select_related("order_line").order_by("id")}
    changes = {
        line_id: count
        for line_id, count in quantities.items()
        if line_id not in lines or lines[line_id].received_qty != count
    }
    if not changes:
        raise InvalidRequest(_("These are the counts already recorded: nothing to correct."))
    _check_correctable(lines, changes)
    before = {line_id: lines[line_id].received_qty for line_id in changes}
    returns.receive_lines(
        return_request=locked,
        receipts=[returns.LineReceipt(line_id, count) for line_id, count in changes.items()],
        actor=actor,
    )
    lines = {line.pk: line for line in locked.lines.select_related("order_line").order_by("id")}
    _recount_missing(receipt, [lines[line_id] for line_id in changes])
    receipt.received_units = sum(line.received_qty for line in lines.values())
    receipt.save(update_fields=["received_units"])
    lifecycle.record_event(
        locked,
        "receipt_corrected",
        actor=actor,
        data={
            "reason": reason.strip(),
            "lines": [
                {"line": line_id, "from": before[line_id], "to": changes[line_id]}
                for line_id in changes
            ],
        },
    )
    if receipt.received_units == 0:
        _settle_empty_parcel(locked, list(lines.values()), actor)
    else:
        grades = {g.code: g for g in grades_for(locked.store_id)}
        _settle_complete_lines(locked, list(lines.values()), grades, actor)
    return receipt


def _recount_missing(receipt: Receipt, lines: Sequence[ReturnLine]) -> None:
    """The `missing` discrepancies of `lines`, as their corrected counts leave them."""
    receipt.discrepancies.filter(kind=DiscrepancyKind.MISSING, return_line__in=lines).delete()
    ReceivingDiscrepancy.objects.bulk_create(
        ReceivingDiscrepancy(
            receipt=receipt,
            kind=DiscrepancyKind.MISSING,
            return_line=line,
            variant_id=line.order_line.variant_id,
            code=line.order_line.sku,
            quantity=line.quantity - line.received_qty,
        )
        for line in lines
        if line.received_qty < line.quantity
    )


def _check_correctable(lines: Mapping[int, ReturnLine], changes: Mapping[int, int]) -> None:
    """Refuse a correction of units already inspected (or of lines not in the return)."""
    unknown = set(changes) - set(lines)
    if unknown:
        raise InvalidRequest(
            _("These lines are not part of this return: %(ids)s")
            % {"ids": ", ".join(map(str, sorted(unknown)))}
        )
    inspected = dict(
        InspectionUnit.objects.filter(return_line__in=list(changes))
        .values("return_line_id")
        .annotate(last=Max("unit_index"))
        .values_list("return_line_id", "last")
    )
    for line_id, count in changes.items():
        if lines[line_id].status != LineStatus.RECEIVED or count < inspected.get(line_id, 0):
            raise AlreadyInspected(
                _(
                    "%(item)s: %(count)d units are already inspected; the count cannot go "
                    "below them."
                )
                % {"item": lines[line_id].order_line.title, "count": inspected.get(line_id, 0)},
                line_id=line_id,
            )


# --- inspection -------------------------------------------------------------------------------


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
    uploads: Sequence[UploadedFile] = (),
    outcome: str = "",
    deduction: Decimal | None = None,
    reason: str = "",
) -> InspectionUnit:
    """Grade one received unit and decide its refund: `outcome` (by default the grade's),
    `deduction` for a partial refund (at most what the grade allows, by default all of it) and
    the `reason` told to the shopper (by default the grade's name). The disposition the store's
    rules suggest is recorded; `apply_disposition` carries it out. `photos` are names already
    stored (the API's), `uploads` photos taken at the bench, stored here once all checks pass.

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
    allowed = largest_deduction(found, line, currency)
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
    stored = save_photos(return_request.store_id, uploads)
    try:
        with transaction.atomic():
            unit = InspectionUnit.objects.create(
                return_line=line,
                unit_index=unit_index,
                warehouse_id=warehouse_id,
                grade=found.code,
                checklist={str(k): bool(v) for k, v in (checklist or {}).items()},
                notes=notes,
                photos=[*photos, *stored],
                outcome=outcome,
                deduction=deduction,
                reason=reason,
                inspected_by_id=actor.user_id,
                suggested_disposition=suggestion,
            )
    except IntegrityError as error:
        delete_photos(stored)
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
    # A line that received nothing is settled with others, not on its own, unless it is the
    # last one waiting (the others inspected, e.g. after a correction).
    waiting = [
        line for line in lines if line.status == LineStatus.RECEIVED and line not in complete
    ]
    if not complete or (waiting and all(line.received_qty == 0 for line in complete)):
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
    returns.inspect_lines(
        return_request=return_request,
        inspections=inspections,
        actor=actor,
        event_data=_deductions_data(return_request),
    )


def _settle_empty_parcel(return_request: Return, lines: Sequence[ReturnLine], actor: Actor) -> None:
    """Nothing to inspect: every line is settled at 0 accepted, and the return is inspected."""
    returns.inspect_lines(
        return_request=return_request,
        inspections=[returns.LineInspection(line.pk, 0) for line in lines],
        actor=actor,
        event_data=_deductions_data(return_request),
    )


def _deductions_data(return_request: Return) -> dict:
    """What the refund needs from inspection, in the event of the lines inspected (and of the
    return becoming `inspected`): the deductions per line, with their reasons."""
    return {"deductions": deductions_payload(return_request.pk, return_request.order.currency)}


# --- disposition and stock --------------------------------------------------------------------


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
