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

from django.db.models import Q, Sum

from retour.commerce.models import Product
from retour.insights import words
from retour.insights.metrics import ONE_PLACE, Slice, percent, reason_labels
from retour.insights.models import CohortDay
from retour.insights.stats import wilson_lower
from retour.returns.choices import VOID_STATUSES
from retour.returns.models import ReturnLine

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


def _category_rates(scope: Slice) -> dict[str, float]:
    rows = scope.cohort().values("category").annotate(s=Sum("sold_units"), r=Sum("returned_units"))
    return {row["category"]: (row["r"] or 0) / row["s"] for row in rows if row["s"]}


def _ranked(scope: Slice, limit: int) -> list[Finding]:
    """Products above their category, most significant first (two queries)."""
    category_rates = _category_rates(scope)
    rows = (
        scope.cohort()
        .filter(product__isnull=False)
        .values("product_id", "product__title", "category", "product__store__slug")
        .annotate(sold=Sum("sold_units"), returned=Sum("returned_units"))
        .filter(sold__gt=0, returned__gt=0)
    )
    findings = []
    for row in rows:
        lower = wilson_lower(row["returned"], row["sold"])
        category_rate = category_rates.get(row["category"], 0.0)
        if lower > category_rate:
            findings.append(
                Finding(
                    product_id=row["product_id"],
                    title=row["product__title"],
                    category=row["category"],
                    store_slug=row["product__store__slug"],
                    sold=row["sold"],
                    returned=row["returned"],
                    lower=lower,
                    category_rate=category_rate,
                )
            )
    findings.sort(key=lambda f: (f.category_rate - f.lower, -f.returned, f.product_id))
    return findings[:limit]


def _reasons_and_fit(scope: Slice, findings: list[Finding], top: int = 3) -> None:
    """Each finding's dominant reasons and fit signal (two queries)."""
    by_id = {finding.product_id: finding for finding in findings}
    rows = list(
        scope.cohort()
        .filter(product_id__in=by_id)
        .exclude(reason="")
        .values("product_id", "reason")
        .annotate(units=Sum("returned_units"))
        .order_by("product_id", "-units", "reason")
    )
    labels = reason_labels(scope.store_ids, {row["reason"] for row in rows})
    fits: dict[int, dict[str, int]] = {}
    for row in rows:
        finding = by_id[row["product_id"]]
        fits.setdefault(finding.product_id, {})[row["reason"]] = row["units"]
        if len(finding.reasons) < top:
            finding.reasons.append(
                ReasonShare(
                    row["reason"],
                    labels.get(row["reason"], row["reason"]),
                    row["units"],
                    queue_link(finding.store_slug, finding.product_id, scope.start, row["reason"]),
                )
            )
    for product_id, units in fits.items():
        by_id[product_id].fit = Fit(units.get(TOO_SMALL, 0), units.get(TOO_LARGE, 0))


def comment_words(scope: Slice, product_ids, limit: int = 5) -> dict[int, dict]:
    """The most used words per product and language in the return comments of the period's
    orders (one query; the words are counted in Python, the comments capped)."""
    comments = (
        ReturnLine.objects.filter(
            return_request__store_id__in=scope.store_ids,
            order_line__variant__product_id__in=list(product_ids),
            order_line__order__placed_at__gte=scope.since,
            order_line__order__placed_at__lt=scope.until,
        )
        .exclude(Q(comment="") | Q(return_request__status__in=VOID_STATUSES))
        .order_by("-pk")
        .values_list("order_line__variant__product_id", "comment", "return_request__locale")[
            :MAX_COMMENTS
        ]
    )
    per_product: dict[int, list[tuple[str, str]]] = {}
    for product_id, text, locale in comments:
        per_product.setdefault(product_id, []).append((text, locale))
    return {pk: words.top_words(texts, limit) for pk, texts in per_product.items()}


def products_to_fix(scope: Slice, limit: int = 25) -> list[Finding]:
    """The products to look at first, with their reasons, fit and words (six queries)."""
    findings = _ranked(scope, limit)
    if not findings:
        return []
    _reasons_and_fit(scope, findings)
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
