"""Products to fix, fit signals and comment words, on the fixed shop (see `shop.py`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.insights import rollups
from retour.insights.metrics import Slice
from retour.insights.products import Fit, products_to_fix
from retour.insights.stats import wilson_interval, wilson_lower
from retour.insights.words import top_words, words
from tests.insights.shop import MARCH, build


def test_wilson_bounds_computed_by_hand():
    # 1/1: (1 + z²/2 ± z·√(z²/4)) / (1 + z²) with z = 1.96 → 0.2065 … 1
    assert wilson_interval(1, 1) == pytest.approx((0.2065, 1.0), abs=1e-4)
    # 150/500: p = 0.3 → [0.2614, 0.3415]
    assert wilson_interval(150, 500) == pytest.approx((0.2614, 0.3415), abs=1e-4)
    assert wilson_lower(0, 10) == 0.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("small", "large", "verdict"),
    [
        (9, 0, ""),  # 9 size returns: too few to say
        (10, 0, "runs_small"),  # lower bound of 10/10 = 0.72 > 0.5
        (7, 3, ""),  # lower bound of 7/10 = 0.40: not beyond chance
        (10, 1, "runs_small"),  # 10/11 → 0.62
        (2, 18, "runs_large"),  # 18/20 → 0.70
    ],
)
def test_fit_signal_needs_strong_evidence(small, large, verdict):
    assert Fit(small, large).verdict == verdict


def test_words_drop_stop_words_in_each_language():
    assert words("Je l'ai trouvé trop petit, vraiment petit", "fr") == [
        "trouvé",
        "petit",
        "vraiment",
        "petit",
    ]
    assert words("It was too small and the colour is off", "en") == ["small", "colour"]


def test_top_words_per_language_most_used_first():
    found = top_words(
        [("Tight tight, sleeves", "en"), ("Manches serrées", "fr-FR"), ("serrées !", "fr")]
    )
    assert found == {
        "en": [("tight", 2), ("sleeves", 1)],
        "fr": [("serrées", 2), ("manches", 1)],
    }


@pytest.mark.django_db
class TestProductsToFix:
    @pytest.fixture
    def shop(self, store_a):
        made = build(store_a)
        rollups.refresh(store_a)
        return made

    def test_ranking_is_by_the_interval_not_the_raw_ratio(self, shop):
        findings = products_to_fix(Slice((shop.store.pk,), *MARCH))

        # Shirts: 212 returned of 1515 sold = 14.0 %. Linen 11/14 (lower 52.4 %), Oxford
        # 150/500 (26.1 %), Polo 1/1 (20.7 %); the tee (50/1000, 3.8 %) is below its category.
        assert [f.title for f in findings] == ["Linen shirt", "Oxford shirt", "Polo once"]
        oxford, polo = findings[1], findings[2]
        assert (str(oxford.lower_percent), str(polo.lower_percent)) == ("26.1", "20.7")
        assert str(oxford.category_percent) == "14.0"

    def test_each_finding_has_its_reasons_fit_words_and_links(self, shop):
        linen = products_to_fix(Slice((shop.store.pk,), *MARCH))[0]

        assert [(r.code, r.units) for r in linen.reasons] == [("too_small", 10), ("too_large", 1)]
        assert linen.fit.verdict == "runs_small"
        assert linen.words == {
            "en": [("tight", 2), ("shoulders", 1), ("sleeves", 1)],
            "fr": [("serrées", 2), ("manches", 1), ("vraiment", 1), ("épaules", 1)],
        }
        store = f"store={shop.store.slug}&product={shop.linen.pk}&from=2025-03-01"
        assert linen.link == f"/dashboard/returns/?{store}"
        assert linen.reasons[0].link == f"/dashboard/returns/?{store}&reason=too_small"

    def test_the_queries_do_not_grow_with_the_products(self, shop):
        scope = Slice((shop.store.pk,), *MARCH)
        with CaptureQueriesContext(connection) as few:
            assert len(products_to_fix(scope, limit=1)) == 1
        with CaptureQueriesContext(connection) as many:
            assert len(products_to_fix(scope, limit=50)) == 3
        assert len(few) == len(many) == 4
