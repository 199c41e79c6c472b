"""Fit advice a shop may show on a product page before the sale (public, no private data).

Advice is given only when the fit signal is strong (`products.Fit.verdict`: at least
`FIT_MIN_RETURNS` size returns over the orders of the last `WINDOW_DAYS`, and the lower bound of
the 95 % Wilson interval of one direction's share above one half); otherwise there is none. The
answer holds the verdict and a sentence in the shopper's language, never counts or names.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from retour.commerce.models import Product
from retour.core.errors import NotFound
from retour.insights.products import fit_of

WINDOW_DAYS = 365
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Advice:
    product: str  # the shop's own id of the product
    verdict: str  # "runs_small", "runs_large" or "" (no advice)
    message: str
    language: str


def _message(verdict: str) -> str:
    if verdict == "runs_small":
        return _("Most shoppers who returned this item said it runs small: consider one size up.")
    if verdict == "runs_large":
        return _("Most shoppers who returned this item said it runs large: consider one size down.")
    return ""


def fit_advice(*, store_slug: str, product: str, language: str) -> Advice:
    """The advice for the product whose shop id (`external_id`) is `product` (two queries);
    `NotFound` for an unknown store or product."""
    found = Product.objects.filter(store__slug=store_slug, external_id=product).first()
    if found is None:
        raise NotFound("No such product.")
    language = language if language in LANGUAGES else "en"
    verdict = fit_of(found, timezone.localdate() - timedelta(days=WINDOW_DAYS)).verdict
    with translation.override(language):
        return Advice(product, verdict, _message(verdict), language)
