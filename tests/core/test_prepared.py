"""The hot reads compiled once: same instances as the queryset, counted like any query, and on
PostgreSQL planned once per connection (a prepared statement)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retour.commerce.models import OrderLine
from retour.core.prepared import PreparedQuery
from retour.core.sessions import SessionStore, random_key

LINES = PreparedQuery(
    lambda order_id: (
        OrderLine.objects.filter(order_id=order_id)
        .select_related("order__store")
        .annotate(fulfilments=Count("fulfillment_lines"))
        .order_by("pk")
    )
)


def _expected(order_id):
    return list(
        OrderLine.objects.filter(order_id=order_id)
        .select_related("order__store")
        .annotate(fulfilments=Count("fulfillment_lines"))
        .order_by("pk")
    )


def test_a_run_gives_the_querysets_instances(order_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        lines = LINES.run(order_a.pk)
    expected = _expected(order_a.pk)
    assert [line.pk for line in lines] == [line.pk for line in expected]
    for line, twin in zip(lines, expected, strict=True):
        assert (line.unit_price, line.quantity, line.fulfilments) == (
            twin.unit_price,
            twin.quantity,
            twin.fulfilments,
        )
        assert line.order.store.slug == order_a.store.slug
    assert LINES.run(-1) == []


@pytest.mark.postgres
def test_postgres_plans_the_statement_once_per_connection(order_a):
    for _ in range(3):
        LINES.run(order_a.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert [sql for sql in prepared if '"commerce_orderline"' in sql and "$1" in sql]


def test_the_session_engine_reads_a_live_session_and_not_an_expired_one(db):
    live = DjangoSessionStore()
    live["order"] = 7
    live.create()
    assert SessionStore(live.session_key)["order"] == 7

    expired = DjangoSessionStore()
    expired["order"] = 8
    expired.create()
    expired.model.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    stale = SessionStore(expired.session_key)
    assert stale.get("order") is None
    assert stale.session_key is None  # a new key is made on save, never the stale one


def test_a_new_session_is_inserted_without_asking_first_and_a_taken_key_is_drawn_again(
    db, monkeypatch
):
    taken = SessionStore()
    taken["order"] = 1
    taken.create()
    keys = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr("retour.core.sessions.random_key", lambda: next(keys))

    fresh = SessionStore()
    fresh["order"] = 2
    with CaptureQueriesContext(connection) as queries:
        fresh.create()

    assert fresh.session_key == "k" * 32
    assert SessionStore(taken.session_key)["order"] == 1  # the taken one is left alone
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]


def test_session_keys_are_32_characters_of_djangos_alphabet_and_all_differ():
    keys = {random_key() for _ in range(2000)}
    assert len(keys) == 2000
    assert all(len(key) == 32 and set(key) <= set(VALID_KEY_CHARS) for key in keys)
    # Every character is used in every position (a–z, 0–9: 36), not a narrower range.
    assert {key[0] for key in keys} == set(VALID_KEY_CHARS)
    assert {key[-1] for key in keys} == set(VALID_KEY_CHARS)
