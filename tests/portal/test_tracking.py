"""Tracking by signed link, the timeline, feedback, recommendations, claims."""

import pytest
from django.test import Client

from retour.portal.models import Feedback, Photo
from retour.returns import services as returns
from retour.returns.links import tracking_path
from retour.returns.models import Claim, Return
from tests.factories import SYSTEM
from tests.portal.flow import look_up, photo, walk_to_review
from tests.portal.helpers import shopper_order, sized_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(store_a):
    order = shopper_order(store_a)
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")
    walk_to_review(client, "store-a", order)
    client.post("/returns/store-a/review")
    return Return.objects.get()


def test_the_signed_link_opens_the_tracking_page_without_a_look_up(opened):
    client = Client()
    assert client.get(f"/returns/store-a/track/{opened.rma}/").status_code == 404

    response = client.get(tracking_path("store-a", opened.rma))

    assert response["Location"] == f"/returns/store-a/track/{opened.rma}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_forged_or_moved_link_is_refused(opened, store_b):
    token = tracking_path("store-a", opened.rma).rstrip("/").rsplit("/", 1)[1]
    assert Client().get(f"/returns/store-a/track/{opened.rma}/{token[:-1]}x/").status_code == 404
    assert Client().get(f"/returns/store-b/track/{opened.rma}/{token}/").status_code == 404


def test_the_timeline_shows_each_step_with_the_carrier(opened):
    returns.approve_return(return_request=opened, actor=SYSTEM)
    returns.record_label(
        return_request=opened, carrier="Colissimo", tracking_number="6A42", actor=SYSTEM
    )
    client = Client()
    client.get(tracking_path("store-a", opened.rma))

    page = client.get(f"/returns/store-a/track/{opened.rma}/?lang=fr").content.decode()

    assert "Étiquette créée" in page
    assert "6A42" in page
    assert "Colissimo" in page
    assert "En transit" in page
    assert "à venir" in page


def test_feedback_is_asked_once_resolved_and_stored(opened):
    returns.approve_return(return_request=opened, actor=SYSTEM)
    returns.receive_lines(
        return_request=opened,
        receipts=[returns.LineReceipt(line.pk, line.quantity) for line in opened.lines.all()],
        actor=SYSTEM,
    )
    returns.inspect_lines(
        return_request=opened,
        inspections=[returns.LineInspection(line.pk, line.quantity) for line in opened.lines.all()],
        actor=SYSTEM,
    )
    returns.resolve_return(return_request=opened, actor=SYSTEM, outcome="refund")
    client = Client()
    response = client.get(tracking_path("store-a", opened.rma) + "feedback/")
    assert response["Location"].endswith(f"/track/{opened.rma}/feedback/")

    client.post(response["Location"], {"rating": "4", "comment": "Quick"})

    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.return_request) == (4, "Quick", opened)
    assert "4 out of 5" in client.get(f"/returns/store-a/track/{opened.rma}/").content.decode()


def test_a_too_small_return_recommends_the_next_size_first(opened, store_a):
    sized_product(store_a, title="Linen trousers", key="other")

    page = Client()
    page.get(tracking_path("store-a", opened.rma))
    html = page.get(f"/returns/store-a/track/{opened.rma}/").content.decode()

    picks = html.split("You might like")[1]
    assert picks.index("Linen shirt") < picks.index("Linen trousers")
    assert "your size" in picks


def test_a_damaged_item_is_claimed_with_a_photo_and_nothing_to_send(store_a):
    order = shopper_order(store_a)
    line = order.lines.get()
    client = Client()
    look_up(client, "store-a", "1042", "ada@example.com")

    missing_photo = client.post(
        "/returns/store-a/claim",
        {"kind": "damaged", f"qty-{line.pk}": "1", "description": "Cracked"},
    )
    assert missing_photo.status_code == 422
    response = client.post(
        "/returns/store-a/claim",
        {"kind": "damaged", f"qty-{line.pk}": "1", "description": "Cracked", "photos": photo()},
    )

    claim = Claim.objects.get()
    assert response["Location"] == f"/returns/store-a/claim/{claim.number}"
    assert Photo.objects.get().claim == claim
    assert claim.number in client.get(response["Location"]).content.decode()
    items = client.get("/returns/store-a/items").content.decode()
    assert "Cannot be returned" in items  # the claimed unit is no longer returnable
