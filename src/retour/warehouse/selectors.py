"""Reads of the warehouse: the return a scan names, the item a scan names, a store's grading and
rules (its own rows, else the defaults of `choices`), and what inspection takes off a refund."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, Sum

from retour.commerce.models import Warehouse
from retour.core.codes import ALPHABET, normalize_code
from retour.returns.models import Return, ReturnLine
from retour.warehouse.choices import DEFAULT_CHECKLISTS, DEFAULT_GRADES, DEFAULT_RULES, Outcome
from retour.warehouse.models import Checklist, DispositionRule, Grade, InspectionUnit

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
    return Prefetch(
        "lines",
        queryset=ReturnLine.objects.select_related(
            "order_line__variant__product", "reason"
        ).order_by("id"),
    )


def return_for_scan(*, store_ids: Iterable[int], code: str) -> Return | None:
    """The return a scan names: its RMA (the label or the packing slip's barcode, typed in any
    case and spacing) or its tracking number, among the caller's stores only; with its lines,
    their variants and products. Two queries: the return (one indexed look-up, on the unique
    RMA or the tracking-number index) and its lines."""
    rmas, tracking = scan_candidates(code)
    if not rmas:
        return None
    return (
        Return.objects.filter(store_id__in=list(store_ids))
        .filter(Q(rma__in=rmas) | Q(tracking_number__in=tracking))
        .select_related("store", "order", "customer")
        .prefetch_related(_station_lines())
        .order_by("-id")
        .first()
    )


def return_at_station(*, store_ids: Iterable[int], return_id: int) -> Return | None:
    return (
        Return.objects.filter(store_id__in=list(store_ids), pk=return_id)
        .select_related("store", "order", "customer")
        .prefetch_related(_station_lines())
        .first()
    )


def match_item(lines: Sequence[ReturnLine], code: str, counts: dict[int, int] | None = None):
    """The line of `lines` a scanned item barcode (EAN/UPC) or SKU names, preferring one that
    still expects units; None for an item that is not part of the return."""
    wanted = code.strip().upper()
    if not wanted:
        return None
    counts = counts or {}
    matches = [line for line in lines if wanted in _item_codes(line)]
    for line in matches:
        if counts.get(line.pk, 0) < line.quantity:
            return line
    return matches[0] if matches else None


def _item_codes(line: ReturnLine) -> set[str]:
    """The codes that name a line's item: the order line's SKU, its variant's SKU and barcode."""
    codes = {line.order_line.sku.upper()}
    variant = line.order_line.variant
    if variant is not None:
        codes |= {variant.sku.upper(), variant.barcode.upper()}
    return codes - {""}


def warehouses_for(store_id: int) -> list[Warehouse]:
    return list(Warehouse.objects.filter(store_id=store_id).order_by("-is_default", "name"))


def default_warehouse(store_id: int) -> Warehouse | None:
    return Warehouse.objects.filter(store_id=store_id).order_by("-is_default", "id").first()


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


def checklist_for(store_id: int, category: str, language: str = "en") -> dict[str, str]:
    """Item code → label of the checklist for `category`: the store's own for the longest
    matching prefix, else the default one."""
    own = {c.category_prefix: c.items for c in Checklist.objects.filter(store_id=store_id)}
    source = own or {
        prefix: {code: {"en": en, "fr": fr} for code, (en, fr) in items.items()}
        for prefix, items in DEFAULT_CHECKLISTS.items()
    }
    matching = [prefix for prefix in source if _category_matches(category, prefix)]
    if not matching:
        return {}
    items = source[max(matching, key=len)]
    lang = language[:2]
    return {code: labels.get(lang) or labels.get("en") or code for code, labels in items.items()}


def units_of(return_id: int) -> list[InspectionUnit]:
    return list(
        InspectionUnit.objects.filter(return_line__return_request_id=return_id).order_by(
            "return_line_id", "unit_index"
        )
    )


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
