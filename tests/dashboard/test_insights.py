"""The insights pages: figures of the fixed shop, exports, filters, store isolation, queries."""

import csv
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.accounts.scopes import Role
from retour.insights import rollups
from tests.factories import OrderFactory, ReturnFactory, staff_user
from tests.insights.shop import build

MARCH = "from=2025-03-01&to=2025-03-31"


@pytest.fixture
def shop(store_a):
    made = build(store_a)
    rollups.refresh(store_a)
    return made


def test_the_rates_page_shows_the_cohort_figures_and_charts(shop, owner_a, session_client):
    html = session_client(owner_a).get(f"/dashboard/insights/?{MARCH}").content.decode()

    assert 'data-figure="units-rate">13.8 %' in html
    assert 'data-figure="value-rate">23.9 %' in html
    assert 'data-chart="trend"' in html
    assert "<polyline" in html
    assert 'data-chart="reasons"' in html
    assert "<desc" in html
    assert "Return rates include every order and return changed before" in html


def test_the_products_page_ranks_and_links_to_the_returns(shop, owner_a, session_client):
    html = session_client(owner_a).get(f"/dashboard/insights/products?{MARCH}").content.decode()

    assert html.index("Linen shirt") < html.index("Oxford shirt") < html.index("Polo once")
    assert "Basic tee" not in html
    assert 'data-fit="runs_small"' in html
    assert f"/dashboard/returns/?store=store-a&amp;product={shop.linen.pk}" in html


def test_a_table_exports_as_csv_and_xlsx(shop, owner_a, session_client):
    client = session_client(owner_a)
    url = f"/dashboard/insights/products?{MARCH}&export=products"

    response = client.get(url + "&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Disposition"] == 'attachment; filename="products.csv"'
    assert rows[0][:4] == ["Product", "Category", "Sold", "Returned"]
    assert [row[0] for row in rows[1:]] == ["Linen shirt", "Oxford shirt", "Polo once"]
    assert rows[2][2:5] == ["500", "150", "30.0"]

    xlsx = client.get(url + "&format=xlsx").content
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/sharedStrings.xml").decode()
    assert "Oxford shirt" in sheet
    assert client.get(url + "&format=pdf").status_code == 400


def test_the_category_filter_narrows_the_figures(shop, owner_a, session_client):
    html = (
        session_client(owner_a)
        .get(f"/dashboard/insights/?{MARCH}&category=apparel/shoes")
        .content.decode()
    )
    assert 'data-figure="units-rate">0.0 %' in html


def test_a_bad_date_is_said_and_ignored(shop, owner_a, session_client):
    response = session_client(owner_a).get("/dashboard/insights/?from=March")
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


def test_another_stores_staff_sees_nothing_of_it(shop, staff_b, session_client):
    client = session_client(staff_b)

    assert client.get("/dashboard/insights/?store=store-a").status_code == 404
    html = client.get(f"/dashboard/insights/products?{MARCH}").content.decode()
    assert "Linen shirt" not in html
    assert "Oxford shirt" not in html


def test_shoppers_to_watch_lists_serial_returners(store_a, owner_a, session_client):
    order = OrderFactory(store=store_a, email="serial@example.com", lines=[1, 1, 1])
    for line in order.lines.all():
        made = ReturnFactory(order=order, lines=False)
        made.lines.create(order_line=line, quantity=1, resolution=made.resolution)
    OrderFactory(store=store_a, email="once@example.com")
    rollups.refresh(store_a)  # the shoppers' returns are read from the refresh's facts

    html = session_client(owner_a).get("/dashboard/insights/shoppers").content.decode()

    assert "serial@example.com" in html
    assert "once@example.com" not in html
    assert "/dashboard/returns/?store=store-a&amp;q=serial%40example.com" in html


def test_the_warehouse_role_may_not_read_insights(store_a, session_client):
    client = session_client(staff_user(store_a, Role.WAREHOUSE, username="w"))
    assert client.get("/dashboard/insights/").status_code == 403


@pytest.mark.parametrize("page", ["", "products", "shoppers"])
def test_each_page_is_a_fixed_number_of_queries(store_a, owner_a, session_client, page):
    """The same number of queries for a small and a larger shop."""
    client = session_client(owner_a)
    build(store_a)
    rollups.refresh(store_a)
    with CaptureQueriesContext(connection) as small:
        client.get(f"/dashboard/insights/{page}?{MARCH}")
    build(store_a)
    rollups.refresh(store_a)
    with CaptureQueriesContext(connection) as large:
        client.get(f"/dashboard/insights/{page}?{MARCH}")
    assert len(small) == len(large)
