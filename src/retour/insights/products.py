"""Products to fix: those whose return rate is significantly above their category's, with the
reasons behind it, their fit signal and the words shoppers use about them.

"Significantly" means the lower bound of the product's Wilson interval (95 %) is above the
category's rate: a product sold once and returned once (lower bound 21 %) is not ranked above one
sold 500 times and returned 150 times (lower bound 26 %). Products are ranked by how far that
lower bound stands above the category's rate.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Sum

from retour.commerce.models import Product
from retour.insights import words
from retour.insights.metrics import ONE_PLACE, Slice, cohort_grouped, percent, reason_labels
from retour.insights.models import CohortDay, ReturnLineFact
from retour.insights.stats import wilson_lower

QUEUE_URL = "/dashboard/returns/"
TOO_SMALL, TOO_LARGE = "too_small", "too_large"
# A fit signal needs this many size returns, and the lower bound of the share of one direction
# (too small, or too large) above one half: most shoppers said so, beyond chance.
FIT_MIN_RETURNS = 10
FIT_MIN_SHARE = 0.5
MAX_COMMENTS = 5000  # the most recent comments read for the keywords of one page


def _as_percent(proportion: float) -> Decimal:
    return (Decimal(proportion) * 100).quantize(ONE_PLACE)


@dataclass(frozen=True)
class Fit:
    too_small: int = 0
    too_large: int = 0

    @property
    def size_returns(self) -> int:
        return self.too_small + self.too_large

    @property
    def verdict(self) -> str:
        """ "runs_small", "runs_large" or "" when the evidence is not strong enough."""
        if self.size_returns < FIT_MIN_RETURNS:
            return ""
        if wilson_lower(self.too_small, self.size_returns) > FIT_MIN_SHARE:
            return "runs_small"
        if wilson_lower(self.too_large, self.size_returns) > FIT_MIN_SHARE:
            return "runs_large"
        return ""

    @property
    def small_percent(self):
        return percent(self.too_small, self.size_returns)


@dataclass(frozen=True)
class ReasonShare:
    code: str
    label: str
    units: int
    link: str


@dataclass
class Finding:
    product_id: int
    title: str
    category: str
    store_slug: str
    sold: int
    returned: int
    lower: float  # Wilson lower bound of the product's rate
    category_rate: float
    reasons: list[ReasonShare] = field(default_factory=list)
    fit: Fit = field(default_factory=Fit)
    words: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    link: str = ""

    @property
    def rate_percent(self):
        return percent(self.returned, self.sold)

    @property
    def lower_percent(self) -> Decimal:
        return _as_percent(self.lower)

    @property
    def category_percent(self) -> Decimal:
        return _as_percent(self.category_rate)


def queue_link(store_slug: str, product_id: int, since: date, reason: str = "") -> str:
    """The staff queue, filtered on the returns behind a finding (returns are requested after
    their orders, so from the period's first day on)."""
    params = [("store", store_slug), ("product", product_id), ("from", since.isoformat())]
    return QUEUE_URL + "?" + urlencode(params + ([("reason", reason)] if reason else []))


@dataclass
class _Units:
    sold: int = 0
    returned: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _units(scope: Slice) -> tuple[dict[str, _Units], dict[tuple[int, str], _Units]]:
    """Units sold and returned per category, and per product (with its category) and reason,
    from ONE grouped read of the rollup: a few thousand rows, summed up in Python."""
    categories: dict[str, _Units] = {}
    products: dict[tuple[int, str], _Units] = {}
    rows = cohort_grouped(
        scope,
        ("product_id", "category", "reason"),
        {"sold": Sum("sold_units"), "returned": Sum("returned_units")},
    )
    for row in rows:
        sold, returned = row["sold"] or 0, row["returned"] or 0
        groups = [categories.setdefault(row["category"], _Units())]
        if row["product_id"] is not None:
            groups.append(products.setdefault((row["product_id"], row["category"]), _Units()))
            if row["reason"]:
                reasons = groups[1].reasons
                reasons[row["reason"]] = reasons.get(row["reason"], 0) + returned
        for group in groups:
            group.sold += sold
            group.returned += returned
    return categories, products


def _ranked(scope: Slice, limit: int) -> tuple[list[Finding], dict[int, dict[str, int]]]:
    """Products above their category, most significant first, and the units returned per
    reason of each (two queries)."""
    categories, products = _units(scope)
    category_rates = {name: u.returned / u.sold for name, u in categories.items() if u.sold}
    findings, reasons = [], {}
    for (product_id, category), units in products.items():
        merged = reasons.setdefault(product_id, {})  # a product's categories, if it moved
        for code, n in units.reasons.items():
            merged[code] = merged.get(code, 0) + n
        if not (units.sold and units.returned):
            continue
        lower = wilson_lower(units.returned, units.sold)
        category_rate = category_rates.get(category, 0.0)
        if lower > category_rate:
            findings.append(
                Finding(
                    product_id=product_id,
                    title="",
                    category=category,
                    store_slug="",
                    sold=units.sold,
                    returned=units.returned,
                    lower=lower,
                    category_rate=category_rate,
                )
            )
    findings.sort(key=lambda f: (f.category_rate - f.lower, -f.returned, f.product_id))
    findings = findings[:limit]
    names = {
        pk: (title, slug)
        for pk, title, slug in Product.objects.filter(
            pk__in={f.product_id for f in findings}
        ).values_list("pk", "title", "store__slug")
    }
    for finding in findings:
        finding.title, finding.store_slug = names[finding.product_id]
    return findings, reasons


def _reasons_and_fit(
    scope: Slice, findings: list[Finding], reasons: dict[int, dict[str, int]], top: int = 3
) -> None:
    """Each finding's dominant reasons and fit signal (one query, for the reasons' labels)."""
    labels = reason_labels(
        scope.store_ids, {code for f in findings for code in reasons.get(f.product_id, {})}
    )
    for finding in findings:
        units = reasons.get(finding.product_id, {})
        for code, n in sorted(units.items(), key=lambda item: (-item[1], item[0]))[:top]:
            finding.reasons.append(
                ReasonShare(
                    code,
                    labels.get(code, code),
                    n,
                    queue_link(finding.store_slug, finding.product_id, scope.start, code),
                )
            )
        finding.fit = Fit(units.get(TOO_SMALL, 0), units.get(TOO_LARGE, 0))


def comment_words(scope: Slice, product_ids, limit: int = 5) -> dict[int, dict]:
    """The most used words per product and language in the return comments of the period's
    orders (one query over `ReturnLineFact`, the comments read by their line; the words are
    counted in Python, the comments capped)."""
    comments = (
        ReturnLineFact.objects.filter(
            store_id__in=scope.store_ids,
            product_id__in=list(product_ids),
            placed_at__gte=scope.since,
            placed_at__lt=scope.until,
            live=True,
            commented=True,
        )
        .order_by("-line_id")
        .values_list("product_id", "line__comment", "locale")[:MAX_COMMENTS]
    )
    per_product: dict[int, list[tuple[str, str]]] = {}
    for product_id, text, locale in comments:
        per_product.setdefault(product_id, []).append((text, locale))
    return {pk: words.top_words(texts, limit) for pk, texts in per_product.items()}


def products_to_fix(scope: Slice, limit: int = 25) -> list[Finding]:
    """The products to look at first, with their reasons, fit and words (four queries)."""
    findings, reasons = _ranked(scope, limit)
    if not findings:
        return []
    _reasons_and_fit(scope, findings, reasons)
    found_words = comment_words(scope, [f.product_id for f in findings])
    for finding in findings:
        finding.words = found_words.get(finding.product_id, {})
        finding.link = queue_link(finding.store_slug, finding.product_id, scope.start)
    return findings


def fit_of(product: Product, since: date) -> Fit:
    """A product's fit evidence from the orders placed since `since` (one query)."""
    units = dict(
        CohortDay.objects.filter(store_id=product.store_id, product=product, day__gte=since)
        .filter(reason__in=(TOO_SMALL, TOO_LARGE))
        .values("reason")
        .annotate(units=Sum("returned_units"))
        .values_list("reason", "units")
    )
    return Fit(units.get(TOO_SMALL, 0), units.get(TOO_LARGE, 0))
