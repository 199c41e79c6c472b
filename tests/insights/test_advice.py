"""The public fit advice: given only on strong evidence, in the shopper's language, readable from
any origin, cached, and nothing private in it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from retour.insights import rollups
from tests.insights.shop import make_product, place_order, return_line

pytestmark = pytest.mark.django_db
URL = "/api/v1/public/{store}/products/{product}/fit-advice"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _sold_and_returned_small(store, returned_small: int):
    product, (variant,) = make_product(store, "Slim jeans", "apparel/jeans", ("32",))
    day = timezone.localdate() - timedelta(days=10)
    (line,) = place_order(store, day, (variant, 40, "60"))
    return_line(line, returned_small, "too_small")
    return_line(line, 1, "too_large")
    rollups.refresh(store)
    return product


def test_strong_evidence_gives_advice_in_the_shoppers_language(store_a):
    product = _sold_and_returned_small(store_a, returned_small=12)  # 12 of 13: lower bound 0.67
    url = URL.format(store=store_a.slug, product=product.external_id)

    english = Client().get(url)
    french = Client().get(url + "?lang=fr").json()

    assert english.json() == {
        "product": product.external_id,
        "verdict": "runs_small",
        "message": "Most shoppers who returned this item said it runs small: consider one size up.",
        "language": "en",
    }
    assert french["message"].startswith("La plupart des clients")
    assert english["Access-Control-Allow-Origin"] == "*"
    assert english["Cache-Control"] == "public, max-age=3600"


def test_weak_evidence_gives_no_advice(store_a):
    product = _sold_and_returned_small(store_a, returned_small=5)  # 6 size returns: too few

    body = Client().get(URL.format(store=store_a.slug, product=product.external_id)).json()

    assert (body["verdict"], body["message"]) == ("", "")


def test_the_snippet_writes_the_sentence_into_the_page(store_a):
    product = _sold_and_returned_small(store_a, returned_small=12)

    response = Client().get(URL.format(store=store_a.slug, product=product.external_id) + ".js")

    assert response["Content-Type"].startswith("application/javascript")
    script = response.content.decode()
    assert '"verdict": "runs_small"' in script
    assert "data-retour-fit" in script


def test_an_unknown_or_other_stores_product_is_404(store_a, store_b):
    product = _sold_and_returned_small(store_a, returned_small=12)

    response = Client().get(URL.format(store=store_b.slug, product=product.external_id))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
