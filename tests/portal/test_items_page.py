"""The items page: what it shows, its queries, and what it keeps between requests (the store per
process, the session key on look-up)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from retour.returns.models import Return
from tests.portal.flow import look_up, walk_to_review
from tests.portal.helpers import PASSWORD_FREE_EMAIL, shopper_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store_a):
    return shopper_order(store_a)


def _looked_up(store, **extra) -> Client:
    client = Client(**extra)
    assert look_up(client, store.slug, "1042", PASSWORD_FREE_EMAIL).status_code == 302
    return client


def test_the_items_page_makes_three_queries_without_returns(order, store_a):
    client = _looked_up(store_a)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/returns/{store_a.slug}/items")

    assert response.status_code == 200
    # The session, the order (flagged when it has returns) and its lines with their pictures.
    assert len(queries) == 3, [q["sql"][:80] for q in queries]
    assert "Your returns for this order" not in response.content.decode()


def test_the_items_page_lists_the_returns_of_the_order_with_one_more_query(order, store_a):
    client = _looked_up(store_a)
    walk_to_review(client, store_a.slug, order)
    client.post(f"/returns/{store_a.slug}/review")
    rma = Return.objects.get(order=order).rma

    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/returns/{store_a.slug}/items").content.decode()

    assert len(queries) == 4
    assert "Your returns for this order" in page
    assert f"/returns/{store_a.slug}/track/{rma}" in page


def test_the_items_page_shows_options_picture_and_what_was_bought(order, store_a):
    page = _looked_up(store_a).get(f"/returns/{store_a.slug}/items?lang=en").content.decode()

    assert "size: M" in page
    assert 'src="https://cdn.example.com/shirt.jpg"' in page
    assert "1 item at" in page
    assert "Quantity to return of “Linen shirt”" in page


def test_a_branding_change_shows_on_the_next_page(order, store_a):
    client = _looked_up(store_a)
    client.get(f"/returns/{store_a.slug}/items")  # the store is now cached

    store_a.branding = {"primary_color": "#7a1f5c"}
    store_a.save()

    assert "--brand: #7a1f5c" in client.get(f"/returns/{store_a.slug}/items").content.decode()


def test_the_store_is_read_again_once_its_cache_expires(order, store_a, monkeypatch):
    monkeypatch.setitem(settings.RETOUR_PORTAL, "STORE_CACHE_SECONDS", 0)
    client = _looked_up(store_a)

    with CaptureQueriesContext(connection) as queries:
        client.get(f"/returns/{store_a.slug}/items")

    assert len(queries) == 4  # the store, then the page's three


def test_an_unknown_store_answers_404():
    assert Client().get("/returns/no-such-shop/").status_code == 404


def test_a_look_up_gives_an_existing_session_a_new_key(order, store_a):
    client = Client()
    client.get(f"/returns/{store_a.slug}/?lang=fr")  # the language is kept: a session exists
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    look_up(client, store_a.slug, "1042", PASSWORD_FREE_EMAIL)

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get(f"/returns/{store_a.slug}/items").status_code == 200


def test_a_planted_session_key_is_not_kept_by_the_look_up(order, store_a):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "planted0000000000000000000000000"

    look_up(client, store_a.slug, "1042", PASSWORD_FREE_EMAIL)

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != "planted0000000000000000000000000"
    assert client.get(f"/returns/{store_a.slug}/items").status_code == 200
