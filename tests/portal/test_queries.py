"""Each portal page makes the same number of queries for an order of 1 line and of 50."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from retour.returns.models import Return
from tests.portal.flow import look_up, walk_to_review
from tests.portal.helpers import shopper_order

pytestmark = pytest.mark.django_db

PAGES = ["items", "reasons", "resolution", "method", "review"]
# At most this many queries per page (store cached by the process; SQLite): the session, the
# order with its policy and the lines with their pictures (two), plus what the page adds.
BOUNDS = {
    "lookup": 8,  # throttle (read, update, upsert), order, new session (free key, savepoint insert)
    "items": 3,
    "reasons": 4,  # + the reason catalogue
    "resolution": 6,  # + reasons, refund settings, in-stock variants
    "method": 4,  # + reasons
    "review": 5,  # + reasons, refund settings
    "confirmation": 8,
    "track": 9,
}


def _counts(store, lines: int, number: str) -> dict[str, int]:
    order = shopper_order(store, lines=lines, number=number, email=f"n{number}@example.com")
    client = Client(REMOTE_ADDR=f"10.1.0.{lines}")  # a new address: its throttle row is created
    client.get(f"/returns/{store.slug}/")  # the store is cached by the process from then on
    counts = {}
    with CaptureQueriesContext(connection) as lookup:
        look_up(client, store.slug, number, f"n{number}@example.com")
    counts["lookup"] = len(lookup)
    walk_to_review(client, store.slug, order)
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/returns/{store.slug}/{page}").status_code == 200
        counts[page] = len(queries)
    client.post(f"/returns/{store.slug}/review")
    rma = Return.objects.get(order=order).rma
    for name, url in [("confirmation", f"confirmation/{rma}"), ("track", f"track/{rma}/")]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/returns/{store.slug}/{url}").status_code == 200
        counts[name] = len(queries)
    return counts


def test_every_page_makes_as_many_queries_for_50_lines_as_for_1(store_a):
    one = _counts(store_a, 1, "3001")
    fifty = _counts(store_a, 50, "3002")

    assert fifty == one
    assert {page: count for page, count in one.items() if count > BOUNDS[page]} == {}, one
