"""Hand-computed figures of the fixed shop (see `shop.py`)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from retour.insights import rollups
from retour.insights.metrics import Slice, cohort_overview, satisfaction
from retour.insights.models import CohortDay, CohortWeek, RollupState
from retour.portal.models import Feedback
from retour.portal.services import leave_feedback
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return
from tests.factories import OrderFactory, ReturnFactory
from tests.insights.oracle import cohort_rates, cohort_total, reasons
from tests.insights.shop import MARCH, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(store_a):
    made = build(store_a)
    rollups.refresh(store_a)
    return made


def march(shop, category=""):
    return Slice((shop.store.pk,), *MARCH, category=category)


def test_the_cohort_rate_counts_returns_of_the_periods_orders_only(shop):
    total = cohort_overview(march(shop)).total

    # Sold: 12 + 2 + 500 + 1 + 1000 + 20 units; returned: 10 + 1 + 150 + 1 + 50 (the February
    # order's return and the cancelled one do not count).
    assert (total.sold_units, total.returned_units) == (1535, 212)
    assert total.units_percent == Decimal("13.8")  # 212 / 1535
    assert (total.sold_value, total.returned_value) == (Decimal("8570"), Decimal("2050"))
    assert total.value_percent == Decimal("23.9")  # 2050 / 8570


def test_the_oracle_rates_per_day_product_size_and_category(shop):
    """The daily rows the overview is checked against hold the hand-computed figures."""
    scope = march(shop)

    days = {(r.key, r.sold_units, r.returned_units) for r in cohort_rates(scope, "day")}
    assert days == {(date(2025, 3, 3), 513, 161), (date(2025, 3, 4), 1022, 51)}
    products = {r.label: (r.sold_units, r.returned_units) for r in cohort_rates(scope, "product")}
    assert products == {
        "Linen shirt": (14, 11),
        "Oxford shirt": (500, 150),
        "Polo once": (1, 1),
        "Basic tee": (1000, 50),
        "Runner": (20, 0),
    }
    sizes = {r.key: (r.sold_units, r.returned_units) for r in cohort_rates(scope, "size")}
    assert sizes == {"S": (10, 10), "M": (4, 1), "": (1521, 201)}
    shoes = cohort_total(march(shop, category="apparel/shoes"))
    assert (shoes.sold_units, shoes.returned_units, shoes.units_percent) == (20, 0, Decimal("0.0"))
    months = cohort_rates(scope, "month")
    assert [(r.sold_units, r.returned_units) for r in months] == [(1535, 212)]


def test_reasons_and_sub_reasons_with_their_share(shop):
    rows = [(r.parent, r.code, r.units, r.share) for r in cohort_overview(march(shop)).reasons]

    assert rows == [
        ("changed_mind", "changed_mind", 151, Decimal("71.2")),
        ("defective", "defective", 50, Decimal("23.6")),
        ("size", "too_small", 10, Decimal("4.7")),
        ("size", "too_large", 1, Decimal("0.5")),
    ]


def test_the_rates_pages_overview_is_one_read_with_the_same_figures(shop):
    scope = march(shop)
    with CaptureQueriesContext(connection) as queries:
        overview = cohort_overview(scope, limit=2)
    assert len(queries) == 2  # the grouped read, the reasons' labels

    assert overview.total == cohort_total(scope)
    assert overview.weeks == cohort_rates(scope, "week")
    assert overview.categories == cohort_rates(scope, "category", limit=2)
    assert [(r.key, r.sold_units, r.returned_units) for r in overview.sizes] == [
        ("", 1521, 201),
        ("S", 10, 10),
    ]
    assert overview.reasons == reasons(scope)
    shoes = march(shop, category="apparel/shoes")
    assert cohort_overview(shoes).total == cohort_total(shoes)
    empty = cohort_overview(Slice((shop.store.pk,), date(2020, 1, 1), date(2020, 1, 2)))
    assert (empty.total.sold_units, empty.weeks, empty.reasons) == (0, [], [])


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 3, 1), date(2025, 3, 31)),  # two edge days, four weeks, one edge day
        (date(2025, 3, 3), date(2025, 3, 9)),  # one whole week
        (date(2025, 3, 4), date(2025, 3, 16)),  # edge days with orders, then a week
        (date(2025, 3, 4), date(2025, 3, 4)),  # a day: no whole week
        (date(2025, 2, 1), date(2025, 4, 30)),  # February's return too
    ],
)
def test_long_periods_read_whole_weeks_with_the_same_figures(shop, start, end):
    scope = Slice((shop.store.pk,), start, end)

    overview = cohort_overview(scope)

    assert overview.total == cohort_total(scope)
    assert overview.weeks == cohort_rates(scope, "week")
    assert overview.categories == cohort_rates(scope, "category")
    assert overview.reasons == reasons(scope)


def test_whole_weeks_come_from_the_weekly_rollup(shop):
    week = CohortWeek.objects.filter(store=shop.store, week=date(2025, 3, 3))
    assert week.aggregate(sold=Sum("sold_units"))["sold"] == 1535  # March 3rd and 4th
    week.delete()

    assert cohort_overview(march(shop)).total.sold_units == 0  # read from the weeks
    tuesday = Slice((shop.store.pk,), date(2025, 3, 4), date(2025, 3, 4))
    assert cohort_overview(tuesday).total.sold_units == 1022  # a lone day: from the days


def test_a_second_refresh_rewrites_only_the_days_that_changed(shop):
    oxford_return = Return.objects.get(lines__order_line__variant__product=shop.oxford)
    Return.objects.filter(pk=oxford_return.pk).update(status=ReturnStatus.CANCELLED)
    before = RollupState.objects.get(store=shop.store).watermark
    Return.objects.filter(pk=oxford_return.pk).update(updated_at=before.replace(year=2100))

    refreshed = rollups.refresh(shop.store)

    assert refreshed.days == 1  # March 3rd only
    assert cohort_total(march(shop)).returned_units == 212 - 150  # its day
    assert cohort_overview(march(shop)).total.returned_units == 212 - 150  # its week too
    assert RollupState.objects.get(store=shop.store).watermark > before


def test_an_unchanged_store_refreshes_nothing(shop):
    rows = CohortDay.objects.count()

    assert rollups.refresh(shop.store).days == 0
    assert CohortDay.objects.count() == rows


def test_other_stores_are_not_counted(shop, store_b):
    ReturnFactory(order=OrderFactory(store=store_b, lines=[7]))
    rollups.refresh(store_b)

    assert cohort_overview(march(shop)).total.sold_units == 1535
    assert cohort_overview(Slice((store_b.pk,), *MARCH)).total.sold_units == 0


def test_satisfaction_counts_the_ratings_given_in_the_period(store_a, store_b):
    given = [(store_a, 3, 5), (store_a, 20, 5), (store_a, 31, 2), (store_b, 3, 1)]
    for store, day, rating in given + [(store_a, 1, 4)]:
        made = ReturnFactory(order=OrderFactory(store=store, lines=[1]))
        leave_feedback(return_request=made, rating=rating, comment="", language="en")
        month = 4 if (store, day, rating) not in given else 3  # the 4 stars: April 1st
        Feedback.objects.filter(return_request=made).update(
            created_at=datetime(2025, month, day, 12, tzinfo=UTC)
        )

    found = satisfaction(Slice((store_a.pk,), *MARCH))

    assert found.ratings == {1: 0, 2: 1, 3: 0, 4: 0, 5: 2}
    assert found.average == Decimal("4.0")  # (5 + 5 + 2) / 3
