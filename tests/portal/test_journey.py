"""The whole journey over plain HTML forms: what a shopper without JavaScript does."""

import pytest
from django.test import Client

from retour.portal.models import Photo
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return
from tests.portal.flow import look_up, photo, walk_to_review
from tests.portal.helpers import shopper_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store_a):
    return shopper_order(store_a)


def test_a_shopper_returns_an_item_without_javascript(order):
    client = Client()
    assert look_up(client, "store-a", "1042", "ADA@example.com")["Location"].endswith("/items")
    line = walk_to_review(client, "store-a", order)

    review = client.get("/returns/store-a/review")
    assert review.status_code == 200
    assert "€25.00" in review.content.decode()
    submitted = client.post("/returns/store-a/review")

    created = Return.objects.get()
    assert submitted["Location"] == f"/returns/store-a/confirmation/{created.rma}"
    assert created.status == ReturnStatus.REQUESTED  # no rule approves it: staff decide
    assert created.lines.get().reason.code == "too_small"
    assert Photo.objects.get().return_line.order_line_id == line.pk
    page = client.get(submitted["Location"]).content.decode()
    assert created.rma in page
    assert "being prepared" in page
    tracking = client.get(f"/returns/store-a/track/{created.rma}/").content.decode()
    assert "Requested" in tracking
    assert "Approved" in tracking


def test_the_postcode_also_finds_the_order(order):
    assert look_up(Client(), "store-a", "#1042", "75 001").status_code == 302


def test_a_wrong_number_and_a_wrong_email_get_the_same_answer(order):
    wrong_number = look_up(Client(), "store-a", "9999", "ada@example.com")
    wrong_email = look_up(Client(), "store-a", "1042", "eve@example.com")

    assert wrong_number.status_code == wrong_email.status_code == 422
    assert (
        wrong_number.content.replace(
            wrong_number.content.split(b'name="csrfmiddlewaretoken" value="')[1][:64], b""
        ).count(b"We could not find an order")
        == 1
    )
    assert b"We could not find an order" in wrong_email.content


def test_lookups_are_limited_per_order_number(order, settings):
    settings.RETOUR_PORTAL = {**settings.RETOUR_PORTAL, "FAILURES_PER_ORDER": 3}
    for index in range(3):
        look_up(Client(REMOTE_ADDR=f"10.0.0.{index}"), "store-a", "1042", "eve@example.com")

    blocked = look_up(Client(REMOTE_ADDR="10.0.0.9"), "store-a", "1042", "ada@example.com")

    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert int(blocked["Retry-After"]) > 0


def test_lookups_are_limited_per_ip(order, settings):
    settings.RETOUR_PORTAL = {**settings.RETOUR_PORTAL, "LOOKUPS_PER_IP": 2}
    client = Client()
    for number in ("1", "2"):
        look_up(client, "store-a", number, "eve@example.com")

    assert look_up(client, "store-a", "1042", "ada@example.com").status_code == 429


def test_the_session_gives_access_to_the_looked_up_order_only(order, store_a):
    other = shopper_order(store_a, number="2000", email="bob@example.com")
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    rogue = Return.objects.create(
        store=store_a, order=other, rma="R-OTHR-0001", method="mail", resolution="refund"
    )

    assert client.get(f"/returns/store-a/track/{rogue.rma}/").status_code == 404
    assert client.get("/returns/store-b/items").status_code == 404  # unknown store


def test_steps_cannot_be_skipped(order):
    client = Client()
    assert client.get("/returns/store-a/review")["Location"] == "/returns/store-a/"
    look_up(client, "store-a", "1042", "ada@example.com")
    assert client.get("/returns/store-a/review")["Location"] == "/returns/store-a/items"


def test_a_line_outside_the_window_says_why_and_cannot_be_chosen(store_a):
    from datetime import timedelta

    from django.utils import timezone

    old = timezone.now() - timedelta(days=90)
    order = shopper_order(store_a, placed_at=old, fulfillment__delivered_at=old)
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    page = client.get("/returns/store-a/items").content.decode()
    line = order.lines.get()

    assert "Cannot be returned" in page
    assert "The return period for this item ended on" in page
    refused = client.post("/returns/store-a/items", {f"qty-{line.pk}": "1"})
    assert refused.status_code == 422


def test_the_server_refuses_what_changed_since_the_review(order, store_a):
    from retour.policy.services import publish_policy
    from tests.factories import SYSTEM

    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    walk_to_review(client, "store-a", order)
    publish_policy(
        store=store_a,
        document={"methods": ["mail"], "methods_by_country": {"FR": ["mail"]}},
        actor=SYSTEM,
    )

    refused = client.post("/returns/store-a/review")

    assert refused.status_code == 422
    assert "no longer allows" in refused.content.decode()
    assert not Return.objects.exists()


def test_an_exchange_reserves_an_in_stock_size(order):
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    page = client.get("/returns/store-a/items")
    assert page.status_code == 200
    walk_to_review(client, "store-a", order, resolution="exchange")
    client.post("/returns/store-a/review")

    created = Return.objects.get()
    assert created.resolution == "exchange"
    assert created.exchanges.get().variant.title == "L"


def test_french_pages_are_translated(order):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    page = client.get("/returns/store-a/").content.decode()
    assert '<html lang="fr">' in page
    assert "Numéro de commande" in page


def test_a_photo_is_required_when_the_reason_asks(order):
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    line = order.lines.get()
    client.post("/returns/store-a/items", {f"qty-{line.pk}": "1"})

    response = client.post("/returns/store-a/reasons", {f"reason-{line.pk}": "damaged"})

    assert response.status_code == 422
    assert "Add at least one photo" in response.content.decode()


def test_a_too_large_or_non_image_upload_is_refused(order):
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    line = order.lines.get()
    client.post("/returns/store-a/items", {f"qty-{line.pk}": "1"})

    fake = photo("invoice.jpg", b"%PDF-1.4 not an image", "image/jpeg")
    response = client.post(
        "/returns/store-a/reasons", {f"reason-{line.pk}": "damaged", f"photos-{line.pk}": fake}
    )
    assert "is not an image we can read" in response.content.decode()
    huge = photo("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1))
    response = client.post(
        "/returns/store-a/reasons", {f"reason-{line.pk}": "damaged", f"photos-{line.pk}": huge}
    )
    assert "larger than 10 MB" in response.content.decode()


def test_the_server_refuses_a_return_without_the_photo_a_new_rule_asks_for(order, store_a):
    from retour.policy.services import publish_policy
    from tests.factories import SYSTEM

    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    look_up(client, "store-a", "1042", "ada@example.com")
    line = order.lines.get()
    client.post("/returns/store-a/items", {f"qty-{line.pk}": "1"})
    client.post("/returns/store-a/reasons", {f"reason-{line.pk}": "too_small"})
    client.post("/returns/store-a/resolution", {"resolution": "refund"})
    client.post("/returns/store-a/method", {"method": "drop_off"})
    rule = {"id": "photos-always", "then": {"require_photos": True}}
    publish_policy(store=store_a, document={"rules": [rule]}, actor=SYSTEM)

    refused = client.post("/returns/store-a/review")

    assert refused.status_code == 422
    assert "Ajoutez au moins une photo de « Linen shirt »" in refused.content.decode()
    assert not Return.objects.exists()
