"""Public fit advice for a shop's product pages: JSON, and a script that writes the sentence into
`<p data-retour-fit="<product id>" hidden></p>`. No authentication, any origin may read it
(CORS), and answers are cached for an hour (here and by browsers and CDNs)."""

import json
from dataclasses import asdict

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from retour.api.schemas import ErrorOut
from retour.insights.advice import Advice, fit_advice

router = Router(tags=["insights"])
CACHE_SECONDS = 3600
PATH = "/public/{store}/products/{product}/fit-advice"
SNIPPET = """(function () {
  var advice = %s;
  if (!advice.message) { return; }
  document.querySelectorAll("[data-retour-fit]").forEach(function (element) {
    if (element.getAttribute("data-retour-fit") === advice.product) {
      element.textContent = advice.message;
      element.lang = advice.language;
      element.hidden = false;
    }
  });
})();
"""


class FitAdviceOut(Schema):
    product: str
    verdict: str  # runs_small, runs_large, or "" when the evidence is not strong enough
    message: str
    language: str


def _advice(store: str, product: str, lang: str) -> Advice:
    key = f"fit-advice:{store}:{product}:{lang}"
    return cache.get_or_set(
        key, lambda: fit_advice(store_slug=store, product=product, language=lang), CACHE_SECONDS
    )


def _public(response: HttpResponse) -> None:
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"


@router.get(
    PATH,
    auth=None,
    response={200: FitAdviceOut, 404: ErrorOut},
    summary="Fit advice for a product page (public; only when the evidence is strong)",
)
def fit_advice_json(
    request: HttpRequest, response: HttpResponse, store: str, product: str, lang: str = "en"
):
    _public(response)
    return asdict(_advice(store, product, lang))


@router.get(
    PATH + ".js",
    auth=None,
    response={200: None, 404: ErrorOut},
    summary="The embeddable script of the fit advice",
)
def fit_advice_script(request: HttpRequest, store: str, product: str, lang: str = "en"):
    advice = _advice(store, product, lang)
    script = HttpResponse(
        SNIPPET % json.dumps(asdict(advice)), content_type="application/javascript; charset=utf-8"
    )
    _public(script)
    return script
