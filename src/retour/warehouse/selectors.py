"""Reads of the warehouse: the return a scan names, the item a scan names, a store's grading and
rules (its own rows, else the defaults of `choices`), and what inspection takes off a refund."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from retour.commerce.models import Warehouse
from retour.core.codes import ALPHABET, normalize_code
from retour.core.money import quantize
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return, ReturnLine
from retour.warehouse import law
from retour.warehouse.choices import (
    DEFAULT_CHECKLISTS,
    DEFAULT_GRADES,
    DEFAULT_RULES,
    DISCARDING,
    Disposition,
    Outcome,
)
from retour.warehouse.models import (
    Checklist,
    DispositionRule,
    Grade,
    InspectionUnit,
    Receipt,
    WarehouseSettings,
)
from retour.warehouse.photos import photo_folder

# An RMA scanned or typed without its dashes: R7KQ4M9XP.
_COMPACT_RMA = re.compile(rf"^R([{ALPHABET}]{{4}})([{ALPHABET}]{{4}})$")
MAX_SCAN_LENGTH = 100


def scan_candidates(code: str) -> tuple[list[str], list[str]]:
    """(RMA forms, tracking-number forms) a scanned or typed code may stand for."""
    raw = code.strip()[:MAX_SCAN_LENGTH]
    if not raw:
        return [], []
    rma = normalize_code(raw)
    compact = _COMPACT_RMA.match(rma)
    rmas = [rma, f"R-{compact[1]}-{compact[2]}"] if compact else [rma]
    tracking = list(dict.fromkeys([raw, raw.upper().replace(" ", "")]))
    return rmas, tracking


def _station_lines() -> Prefetch:
    """A return's lines as the station and the inspection page show them: with the item, the
    reason and the shopper's photos (the portal's `Photo`, by the reverse relation)."""
    return Prefetch(
        "lines",
        queryset=ReturnLine.objects.select_related("order_line__variant__product", "reason")
        .prefetch_related("photos")
        .order_by("id"),
    )


def return_for_scan(*, store_ids: Iterable[int], code: str) -> Return | None:
    """The return a scan names: its RMA (the label or the packing slip's barcode, typed in any
    case and spacing) or its tracking number, among the caller's stores only; with its receipt,
    its lines, their variants and products, and the shopper's photos. Three queries: the return
    (one indexed look-up, on the unique RMA or the tracking-number index), its lines, their
    photos."""
    rmas, tracking = scan_candidates(code)
    if not rmas:
        return None
    return (
        _at_station(store_ids)
        .filter(Q(rma__in=rmas) | Q(tracking_number__in=tracking))
        .order_by("-id")
        .first()
    )


def return_at_station(*, store_ids: Iterable[int], return_id: int) -> Return | None:
    return _at_station(store_ids).filter(pk=return_id).first()


def _at_station(store_ids: Iterable[int]):
    return (
        Return.objects.filter(store_id__in=list(store_ids))
        .select_related("store", "order", "customer", "receipt")
        .prefetch_related(_station_lines())
    )


@dataclass(frozen=True)
class ExpectedItem:
    """A line of a return as a scan of its item finds it: kept in the station's session, so that
    an item scan is matched without reading the return again."""

    line_id: int
    codes: tuple[str, ...]
    quantity: int


def expected_items(lines: Iterable[ReturnLine]) -> list[ExpectedItem]:
    return [
        ExpectedItem(line.pk, tuple(sorted(_item_codes(line))), line.quantity) for line in lines
    ]


def match_item(
    items: Sequence[ExpectedItem], code: str, counts: dict[int, int] | None = None
) -> ExpectedItem | None:
    """The item a scanned barcode (EAN/UPC) or SKU names, preferring a line that still expects
    units; None for an item that is not part of the return."""
    wanted = code.strip().upper()
    if not wanted:
        return None
    counts = counts or {}
    matches = [item for item in items if wanted in item.codes]
    for item in matches:
        if counts.get(item.line_id, 0) < item.quantity:
            return item
    return matches[0] if matches else None


def _item_codes(line: ReturnLine) -> set[str]:
    """The codes that name a line's item: the order line's SKU, its variant's SKU and barcode."""
    codes = {line.order_line.sku.upper()}
    variant = line.order_line.variant
    if variant is not None:
        codes |= {variant.sku.upper(), variant.barcode.upper()}
    return codes - {""}


def warehouses_of(store_ids: Iterable[int]) -> list[Warehouse]:
    """The warehouses of the caller's stores, the default one of each store first."""
    return list(
        Warehouse.objects.filter(store_id__in=list(store_ids))
        .select_related("store")
        .order_by("store__name", "store_id", "-is_default", "name")
    )


def warehouse_in(store_ids: Iterable[int], warehouse_id: int | None) -> Warehouse | None:
    if warehouse_id is None:
        return None
    return Warehouse.objects.filter(store_id__in=list(store_ids), pk=warehouse_id).first()


def grades_for(store_id: int) -> list[Grade]:
    """The store's grading scale, or the default one (unsaved rows) when it has none."""
    grades = list(Grade.objects.filter(store_id=store_id))
    if grades:
        return grades
    return [
        Grade(
            store_id=store_id,
            code=code,
            labels={"en": en, "fr": fr},
            sellable=sellable,
            outcome=outcome,
            max_deduction_rate=Decimal(deduction),
            graded_price_rate=Decimal(price),
            position=position,
        )
        for position, (code, en, fr, sellable, outcome, deduction, price) in enumerate(
            DEFAULT_GRADES
        )
    ]


def rules_for(store_id: int) -> list[DispositionRule]:
    rules = list(DispositionRule.objects.filter(store_id=store_id))
    if rules:
        return rules
    return [
        DispositionRule(
            store_id=store_id,
            grade=grade,
            category_prefix=prefix,
            disposition=disposition,
            position=i,
        )
        for i, (grade, prefix, disposition) in enumerate(DEFAULT_RULES)
    ]


def _category_matches(category: str, prefix: str) -> bool:
    category, prefix = category.strip().lower(), prefix.strip().lower()
    return not prefix or category == prefix or category.startswith(prefix + "/")


def suggest_disposition(rules: Sequence[DispositionRule], *, grade: str, category: str) -> str:
    for rule in rules:
        if rule.grade in ("", grade) and _category_matches(category, rule.category_prefix):
            return rule.disposition
    return ""


ChecklistSource = dict[str, dict[str, dict[str, str]]]


def checklists_of(store_id: int) -> ChecklistSource:
    """Category prefix → item code → label per language: the store's own, else the defaults."""
    own = {c.category_prefix: c.items for c in Checklist.objects.filter(store_id=store_id)}
    return own or {
        prefix: {code: {"en": en, "fr": fr} for code, (en, fr) in items.items()}
        for prefix, items in DEFAULT_CHECKLISTS.items()
    }


def checklist_in(source: ChecklistSource, category: str, language: str = "en") -> dict[str, str]:
    """Item code → label of the checklist of the longest prefix of `source` matching `category`."""
    matching = [prefix for prefix in source if _category_matches(category, prefix)]
    if not matching:
        return {}
    items = source[max(matching, key=len)]
    lang = language[:2]
    return {code: labels.get(lang) or labels.get("en") or code for code, labels in items.items()}


def enterprise_size(store_id: int) -> str:
    found = WarehouseSettings.objects.filter(store_id=store_id).values_list(
        "enterprise_size", flat=True
    )
    return found.first() or WarehouseSettings._meta.get_field("enterprise_size").default


def unit_paid_price(line: ReturnLine) -> Decimal:
    """What the shopper paid for one unit of the line: its price less its share of discounts."""
    order_line = line.order_line
    return order_line.unit_price - order_line.discount / max(order_line.quantity, 1)


def largest_deduction(grade: Grade, line: ReturnLine, currency: str) -> Decimal:
    """The most a unit of `line` found in `grade` may lose of its refund."""
    return quantize(grade.max_deduction_rate * unit_paid_price(line), currency)


@dataclass(frozen=True)
class LineDeduction:
    amount: Decimal
    reason: str


def inspection_deductions(return_id: int) -> dict[int, LineDeduction]:
    """Return line id → what inspection takes off its refund (the partial refunds' deductions)
    and why: what the refund (`refunds.services.request_refund(deductions=…)`) is given by the
    interface that starts it."""
    rows = (
        InspectionUnit.objects.filter(
            return_line__return_request_id=return_id, outcome=Outcome.PARTIAL
        )
        .values("return_line_id")
        .annotate(total=Sum("deduction"))
    )
    reasons: dict[int, list[str]] = {}
    for line_id, reason in InspectionUnit.objects.filter(
        return_line__return_request_id=return_id, outcome=Outcome.PARTIAL
    ).values_list("return_line_id", "reason"):
        if reason and reason not in reasons.setdefault(line_id, []):
            reasons[line_id].append(reason)
    return {
        row["return_line_id"]: LineDeduction(
            row["total"], "; ".join(reasons.get(row["return_line_id"], []))
        )
        for row in rows
    }


def deductions_payload(return_id: int, currency: str) -> dict[str, dict[str, str]]:
    """`inspection_deductions` as the `return.inspected` event carries it to the refund (which
    may not import the warehouse): {"<return line id>": {"amount": "5.00", "reason": "…"}},
    amounts in the order's currency, as strings."""
    return {
        str(line_id): {"amount": str(quantize(found.amount, currency)), "reason": found.reason}
        for line_id, found in inspection_deductions(return_id).items()
    }


# --- the inspection page ----------------------------------------------------------------------


@dataclass(frozen=True)
class LegalLimit:
    """A disposition the law forbids for a line's goods unless a derogation is given."""

    disposition: str
    bans: tuple[law.DestructionBan, ...]

    @property
    def label(self) -> str:
        return Disposition(self.disposition).label


@dataclass
class UnitSheet:
    line_id: int
    index: int
    unit: InspectionUnit | None  # None: not inspected yet
    ticks: list[tuple[str, bool]] = field(default_factory=list)  # checklist label → ticked

    @property
    def key(self) -> str:
        return f"unit-{self.line_id}-{self.index}"

    @property
    def disposal_key(self) -> str:
        return f"dispose-{self.line_id}-{self.index}"

    @property
    def waiting(self) -> bool:
        """Still to inspect, or inspected and still to dispose of."""
        return self.unit is None or self.unit.disposed_at is None


@dataclass
class LineSheet:
    line: ReturnLine  # with its variant, product, reason and the shopper's photos
    category: str
    checklist: dict[str, str]
    deductions: list[tuple[Grade, Decimal]]  # the largest deduction per grade, for one unit
    limits: list[LegalLimit]
    units: list[UnitSheet]

    @property
    def restricted(self) -> frozenset[str]:
        return frozenset(limit.disposition for limit in self.limits)

    @property
    def derogations(self) -> list[tuple[law.DestructionBan, law.Derogation]]:
        seen = {}
        for limit in self.limits:
            for ban in limit.bans:
                for derogation in ban.derogations:
                    seen.setdefault(derogation.code, (ban, derogation))
        return list(seen.values())


@dataclass
class InspectionSheet:
    return_request: Return
    receipt: Receipt | None
    grades: list[Grade]
    lines: list[LineSheet]

    @property
    def units(self) -> list[UnitSheet]:
        return [unit for line in self.lines for unit in line.units]

    @property
    def to_inspect(self) -> int:
        return sum(unit.unit is None for unit in self.units)

    @property
    def to_dispose(self) -> int:
        return sum(u.unit is not None and u.unit.disposed_at is None for u in self.units)

    @property
    def next_key(self) -> str:
        """The unit the page brings the operator to: the first still waiting for them."""
        waiting = [unit for unit in self.units if unit.unit is None] or [
            unit for unit in self.units if unit.waiting
        ]
        return waiting[0].key if waiting else ""


def inspection_sheet(
    *, store_ids: Iterable[int], return_id: int, language: str = "en"
) -> InspectionSheet | None:
    """Everything the inspection page of a return shows, among the caller's stores: its lines
    with the shopper's photos, each received unit (inspected or not), the store's grading scale
    and checklists, the deductions each grade allows and what the law restricts. A fixed number
    of queries, whatever the number of lines and units."""
    return_request = (
        Return.objects.filter(store_id__in=list(store_ids), pk=return_id)
        .select_related("store", "order", "customer")
        .prefetch_related(_station_lines())
        .first()
    )
    if return_request is None:
        return None
    store_id, currency = return_request.store_id, return_request.order.currency
    receipt = (
        Receipt.objects.filter(return_request=return_request)
        .select_related("warehouse")
        .prefetch_related("discrepancies")
        .first()
    )
    units: dict[tuple[int, int], InspectionUnit] = {
        (unit.return_line_id, unit.unit_index): unit
        for unit in InspectionUnit.objects.filter(
            return_line__return_request=return_request
        ).select_related("restocked_variant")
    }
    grades = grades_for(store_id)
    checklists = checklists_of(store_id)
    size, today = enterprise_size(store_id), timezone.localdate()
    sheets = []
    for line in return_request.lines.all():
        variant = line.order_line.variant
        category = variant.product.category if variant else ""
        limits = [
            LegalLimit(disposition, verdict.bans)
            for disposition in DISCARDING
            if not (
                verdict := law.judge(
                    disposition,
                    country=return_request.store.country,
                    category=category,
                    size=size,
                    on=today,
                )
            ).allowed
        ]
        checklist = checklist_in(checklists, category, language)
        sheets.append(
            LineSheet(
                line=line,
                category=category,
                checklist=checklist,
                deductions=[(g, largest_deduction(g, line, currency)) for g in grades],
                limits=sorted(limits, key=lambda limit: limit.disposition),
                units=[
                    _unit_sheet(line.pk, index, units.get((line.pk, index)), checklist)
                    for index in range(1, line.received_qty + 1)
                ],
            )
        )
    return InspectionSheet(return_request, receipt, grades, sheets)


def line_of(*, store_ids: Iterable[int], return_id: int, line_id: int) -> ReturnLine | None:
    return ReturnLine.objects.filter(
        pk=line_id, return_request_id=return_id, return_request__store_id__in=list(store_ids)
    ).first()


def unit_of(
    *, store_ids: Iterable[int], return_id: int, line_id: int, unit_index: int
) -> InspectionUnit | None:
    return InspectionUnit.objects.filter(
        return_line_id=line_id,
        unit_index=unit_index,
        return_line__return_request_id=return_id,
        return_line__return_request__store_id__in=list(store_ids),
    ).first()


def receipt_of(*, store_ids: Iterable[int], return_id: int) -> Receipt | None:
    return Receipt.objects.filter(
        return_request_id=return_id, return_request__store_id__in=list(store_ids)
    ).first()


def _unit_sheet(
    line_id: int, index: int, unit: InspectionUnit | None, checklist: dict[str, str]
) -> UnitSheet:
    ticks = []
    if unit is not None:
        ticks = [(checklist.get(code, code), ticked) for code, ticked in unit.checklist.items()]
    return UnitSheet(line_id, index, unit, ticks)


def returns_to_inspect(store_ids: Iterable[int], limit: int = 100) -> list[Return]:
    """Received returns waiting for inspection, the longest waiting first, with the units
    received and inspected so far (`received_units`, `inspected_units`). One query."""
    received = (
        ReturnLine.objects.filter(return_request=OuterRef("pk"))
        .values("return_request")
        .annotate(total=Sum("received_qty"))
        .values("total")
    )
    inspected = (
        InspectionUnit.objects.filter(return_line__return_request=OuterRef("pk"))
        .values("return_line__return_request")
        .annotate(total=Count("id"))
        .values("total")
    )
    return list(
        Return.objects.filter(store_id__in=list(store_ids), status=ReturnStatus.RECEIVED)
        .select_related("store", "order", "receipt__warehouse")
        .annotate(
            received_units=Coalesce(Subquery(received), 0),
            inspected_units=Coalesce(Subquery(inspected), 0),
        )
        .order_by("status_changed_at", "id")[:limit]
    )


def returns_to_dispose(store_ids: Iterable[int], limit: int = 100) -> list[dict]:
    """Returns with inspected units nobody has disposed of yet: rma, id, units. One query."""
    return list(
        InspectionUnit.objects.filter(
            return_line__return_request__store_id__in=list(store_ids), disposed_at__isnull=True
        )
        .values("return_line__return_request_id", "return_line__return_request__rma")
        .annotate(units=Count("id"), since=Min("inspected_at"))
        .order_by("since")[:limit]
    )


def shopper_photo(*, store_ids: Iterable[int], line_id: int, photo_id: int):
    """A shopper's photo of a return line, among the caller's stores (the portal's `Photo`,
    reached through the line's reverse relation: the warehouse does not import the portal)."""
    line = (
        ReturnLine.objects.filter(pk=line_id, return_request__store_id__in=list(store_ids))
        .prefetch_related("photos")
        .first()
    )
    if line is None:
        return None
    return next((photo for photo in line.photos.all() if photo.pk == photo_id), None)


def inspection_photo(*, store_ids: Iterable[int], unit_id: int, position: int) -> str | None:
    """The storage name of the `position`-th photo the inspector took of a unit: only a name
    under the store's own inspection folder (`photos.save_photos`), never another file a
    client may have named in the list."""
    found = (
        InspectionUnit.objects.filter(
            pk=unit_id, return_line__return_request__store_id__in=list(store_ids)
        )
        .values_list("photos", "return_line__return_request__store_id")
        .first()
    )
    if found is None or not 0 <= position < len(found[0]):
        return None
    name = found[0][position]
    folder = photo_folder(found[1])
    return name if name.startswith(folder) and ".." not in name else None
