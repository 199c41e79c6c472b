"""From the label scan to the stock ledger and the shopper's e-mails, through the services."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from retour.commerce.models import StockLevel, StockMovement, Variant
from retour.core.actors import Actor
from retour.events.models import OutboxEvent
from retour.returns.choices import LineStatus, ReturnStatus
from retour.returns.models import ReturnEvent
from retour.warehouse import reports, selectors, services
from retour.warehouse.choices import DiscrepancyKind, Disposition, Outcome
from retour.warehouse.models import InspectionUnit, Receipt, WarehouseSettings
from tests.notifications.helpers import drain
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(warehouse_a):
    return Actor.staff(warehouse_a)


@pytest.fixture
def parcel(store_a):
    warehouse_of(store_a)
    return parcel_on_its_way(store_a)


def _receive(parcel, operator, quantities, extras=()):
    return_request, _lines = parcel
    return services.receive_parcel(
        return_request=return_request,
        warehouse=None,
        quantities=quantities,
        extras=extras,
        actor=operator,
    )


@pytest.mark.parametrize(
    "scan",
    ["6A123456789FR", " 6a123456789fr ", "{rma}", "{rma_lower_spaced}", "{rma_compact}"],
    ids=["label", "label-typed", "packing-slip", "rma-typed", "rma-without-dashes"],
)
def test_a_scan_of_the_label_the_slip_or_the_rma_finds_the_return(parcel, store_a, scan):
    return_request, _lines = parcel
    rma = return_request.rma
    code = scan.format(
        rma=rma,
        rma_lower_spaced=rma.lower().replace("-", " ", 1),
        rma_compact=rma.replace("-", ""),
    )

    found = selectors.return_for_scan(store_ids=[store_a.pk], code=code)

    assert found == return_request
    assert [line.quantity for line in found.lines.all()] == [2, 1]


def test_a_scan_finds_nothing_of_another_store(parcel, store_a, store_b):
    return_request, _lines = parcel

    assert selectors.return_for_scan(store_ids=[store_b.pk], code=return_request.rma) is None


def test_a_scan_takes_three_queries(parcel, store_a, django_assert_num_queries):
    return_request, _lines = parcel

    with django_assert_num_queries(3):  # the return with its receipt, its lines, the photos
        found = selectors.return_for_scan(store_ids=[store_a.pk], code=return_request.rma)
        assert not hasattr(found, "receipt")
        for line in found.lines.all():
            list(line.photos.all())


def test_an_item_scan_ticks_its_line_by_barcode_or_sku(parcel):
    return_request, lines = parcel
    found = selectors.return_for_scan(store_ids=[return_request.store_id], code=return_request.rma)
    lines = list(found.lines.all())
    items = selectors.expected_items(lines)

    assert selectors.match_item(items, "3700000000011").line_id == lines[0].pk
    assert selectors.match_item(items, lines[1].order_line.sku.lower()).line_id == lines[1].pk
    assert selectors.match_item(items, "0000000000000") is None


def test_a_partial_receipt_records_the_missing_and_the_wrong_items(parcel, operator):
    return_request, (first, second) = parcel
    photo = SimpleUploadedFile("wrong.jpg", b"\xff\xd8\xff\xe0photo", content_type="image/jpeg")

    receipt = _receive(
        parcel,
        operator,
        {first.pk: 1, second.pk: 1},
        extras=[services.ExtraItem(DiscrepancyKind.WRONG_ITEM, code="999", photo=photo)],
    )

    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.RECEIVED
    assert (receipt.expected_units, receipt.received_units) == (3, 2)
    found = {(d.kind, d.return_line_id, d.quantity) for d in receipt.discrepancies.all()}
    assert found == {("missing", first.pk, 1), ("wrong_item", None, 1)}
    wrong = receipt.discrepancies.get(kind="wrong_item")
    assert wrong.photo.name.endswith(".jpg")
    event = ReturnEvent.objects.get(return_request=return_request, kind="parcel_received")
    assert event.actor_user_id == operator.user_id


def test_a_parcel_is_received_only_once(parcel, operator):
    _return, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 2, second.pk: 1})

    with pytest.raises(services.AlreadyReceived):
        _receive(parcel, operator, {first.pk: 2, second.pk: 1})

    assert Receipt.objects.count() == 1


def test_an_empty_parcel_is_inspected_at_once_with_nothing_accepted(parcel, operator):
    return_request, _lines = parcel

    _receive(parcel, operator, {})

    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.INSPECTED
    assert set(return_request.lines.values_list("accepted_qty", flat=True)) == {0}


def test_the_deduction_cannot_exceed_what_the_grade_allows(parcel, operator):
    _return, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 2, second.pk: 1})

    with pytest.raises(services.InvalidRequest) as refused:
        services.inspect_unit(
            return_line=second,
            unit_index=1,
            grade="C",
            outcome=Outcome.PARTIAL,
            deduction=Decimal("20"),
            actor=operator,
        )

    assert refused.value.details["allowed"] == "12.50"


def test_the_whole_way_from_receipt_to_stock_and_the_shoppers_emails(parcel, operator, store_a):
    return_request, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 1, second.pk: 1})

    good = services.inspect_unit(
        return_line=first,
        unit_index=1,
        grade="b",
        checklist={"tags_on": True, "original_packaging": False, "signs_of_wear": False},
        actor=operator,
    )
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.RECEIVED  # the second line waits
    damaged = services.inspect_unit(
        return_line=second,
        unit_index=1,
        grade="C",
        deduction=Decimal("5"),
        reason="Stain on the sleeve",
        notes="washed once?",
        actor=operator,
    )

    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.INSPECTED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.received_qty, first.accepted_qty, first.grade) == (
        LineStatus.INSPECTED,
        1,
        1,
        "B",
    )
    assert (second.accepted_qty, second.damaged_qty, second.grade) == (1, 1, "C")
    assert (good.outcome, good.suggested_disposition) == (Outcome.FULL, Disposition.RESTOCK_GRADED)
    assert (damaged.outcome, damaged.deduction) == (Outcome.PARTIAL, Decimal("5.00"))
    deductions = selectors.inspection_deductions(return_request.pk)
    assert deductions[second.pk].amount == Decimal("5")
    assert deductions[second.pk].reason == "Stain on the sleeve"

    services.apply_disposition(unit=good, actor=operator)
    services.apply_disposition(unit=damaged, actor=operator)

    graded = Variant.objects.get(sku=f"{first.order_line.sku}-B")
    assert graded.price == Decimal("21.25")  # 85 % of 25.00
    movement = StockMovement.objects.get()
    assert (movement.variant, movement.delta, movement.reason) == (graded, 1, "restock")
    assert movement.reference == f"{return_request.rma}/{first.pk}/1"
    assert StockLevel.objects.get(variant=graded).on_hand == 1
    restocked = OutboxEvent.objects.get(type="stock.restocked")
    assert restocked.payload["variant"]["sku"] == graded.sku
    assert restocked.payload["warehouse"]["code"] == "lyon"
    assert InspectionUnit.objects.get(pk=damaged.pk).disposition == Disposition.LIQUIDATE
    kinds = set(OutboxEvent.objects.values_list("type", flat=True))
    assert {"return.received", "return.inspected", "return.unit_disposed"} <= kinds

    drain()
    subjects = [message.subject for message in mail.outbox]
    assert f"We have received your return {return_request.rma}" in subjects
    assert f"Your returned items {return_request.rma} have been checked" in subjects

    report = reports.daily_report(store_a, timezone.localdate())
    row = report[0]
    assert (row.parcels, row.received, row.inspected, row.restocked, row.disputed) == (
        1,
        2,
        2,
        1,
        1,  # the missing unit of the first line
    )


def test_restocking_twice_the_same_sku_adds_up_in_the_ledger(store_a, operator):
    warehouse_of(store_a)
    parcel = parcel_on_its_way(store_a, lines=[2])
    return_request, (line,) = parcel
    _receive(parcel, operator, {line.pk: 2})
    units = [
        services.inspect_unit(return_line=line, unit_index=i, grade="A", actor=operator)
        for i in (1, 2)
    ]

    for unit in units:
        services.apply_disposition(unit=unit, actor=operator)

    assert StockLevel.objects.get(variant=line.order_line.variant).on_hand == 2
    assert StockMovement.objects.filter(variant=line.order_line.variant).count() == 2


def test_a_unit_is_disposed_of_once(parcel, operator):
    _return, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 1, second.pk: 0})
    unit = services.inspect_unit(return_line=first, unit_index=1, grade="A", actor=operator)
    services.apply_disposition(unit=unit, actor=operator)

    with pytest.raises(services.AlreadyDisposed):
        services.apply_disposition(unit=unit, actor=operator)

    assert StockMovement.objects.count() == 1


def test_an_override_needs_a_reason_and_names_its_author(parcel, operator, warehouse_a):
    _return, (first, _second) = parcel
    _receive(parcel, operator, {first.pk: 1})
    unit = services.inspect_unit(return_line=first, unit_index=1, grade="A", actor=operator)

    with pytest.raises(services.InvalidRequest):
        services.apply_disposition(unit=unit, disposition=Disposition.DONATE, actor=operator)
    unit = services.apply_disposition(
        unit=unit, disposition=Disposition.DONATE, override_reason="charity day", actor=operator
    )

    assert unit.disposition_override_by == warehouse_a
    assert unit.disposition_override_reason == "charity day"
    assert StockMovement.objects.count() == 0


def test_a_forbidden_destruction_is_refused_with_the_rule_cited(parcel, operator):
    _return, (first, _second) = parcel
    _receive(parcel, operator, {first.pk: 1})
    unit = services.inspect_unit(return_line=first, unit_index=1, grade="D", actor=operator)

    with pytest.raises(services.DestructionForbidden) as refused:
        services.apply_disposition(
            unit=unit, disposition=Disposition.DESTROY, override_reason="mould", actor=operator
        )

    assert "L541-15-8" in refused.value.message
    assert "2024/1781" in refused.value.message
    assert {d["code"] for d in refused.value.details["derogations"]} >= {"fr_health_safety"}
    unit.refresh_from_db()
    assert unit.disposed_at is None


def test_a_destruction_with_its_derogations_goes_into_the_yearly_disclosure(
    parcel, operator, store_a
):
    _return, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 1, second.pk: 1})
    destroyed = services.inspect_unit(return_line=first, unit_index=1, grade="D", actor=operator)
    recycled = services.inspect_unit(return_line=second, unit_index=1, grade="D", actor=operator)
    WarehouseSettings.objects.create(store=store_a, enterprise_size="small")  # no ESPR ban

    services.apply_disposition(
        unit=destroyed,
        disposition=Disposition.DESTROY,
        override_reason="mould",
        derogations=["fr_health_safety"],
        actor=operator,
    )
    services.apply_disposition(unit=recycled, actor=operator)

    csv_text = reports.disclosure_csv(store_a, timezone.localdate().year)
    lines = csv_text.strip().splitlines()
    assert lines[0] == "year,category,disposition,reason,quantity,weight_kg"
    assert any(
        "Destroy" in line and "health or safety" in line and "0.300" in line for line in lines
    )
    assert any("Recycle" in line and "grade D" in line and "0.600" in line for line in lines)
    assert lines[-1].endswith("TOTAL,,,2,0.900")


def test_a_refused_unit_is_not_accepted(parcel, operator):
    return_request, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 2, second.pk: 0})

    for index in (1, 2):
        services.inspect_unit(return_line=first, unit_index=index, grade="D", actor=operator)

    first.refresh_from_db()
    return_request.refresh_from_db()
    assert (first.received_qty, first.accepted_qty) == (2, 0)
    assert return_request.status == ReturnStatus.INSPECTED
    assert InspectionUnit.objects.filter(outcome=Outcome.REFUSED).first().reason == "Unsellable"


def test_the_inspected_event_carries_the_deductions_for_the_refund(parcel, operator):
    return_request, (first, second) = parcel
    _receive(parcel, operator, {first.pk: 2, second.pk: 1})
    for index, deduction in ((1, "2.5"), (2, "4")):
        services.inspect_unit(
            return_line=first,
            unit_index=index,
            grade="C",
            deduction=Decimal(deduction),
            reason="Scuffed heel",
            actor=operator,
        )
    assert not OutboxEvent.objects.filter(type="return.inspected").exists()

    services.inspect_unit(return_line=second, unit_index=1, grade="A", actor=operator)

    event = OutboxEvent.objects.get(type="return.inspected")
    assert event.payload["data"]["deductions"] == {
        str(first.pk): {"amount": "6.50", "reason": "Scuffed heel"}
    }
    audit = ReturnEvent.objects.filter(return_request=return_request).latest("id")
    assert audit.data["deductions"] == event.payload["data"]["deductions"]


def test_an_empty_parcel_is_inspected_with_no_deductions(parcel, operator):
    _receive(parcel, operator, {})

    event = OutboxEvent.objects.get(type="return.inspected")
    assert event.payload["data"]["deductions"] == {}
