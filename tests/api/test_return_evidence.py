"""Photos and comments the policy asks for are required of API clients too (422 with a reason)."""

import json

import pytest

from retour.policy.services import publish_policy
from retour.returns.models import Return, ReturnEvent
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

BASE = "/api/v1/stores/store-a/returns"
PHOTO = "https://cdn.example.com/photos/shirt-tear.jpg"


def _open(client, order, *, reason, comment="", photos=(), locale=""):
    line = order.lines.order_by("id").first()
    body = {
        "order_number": order.number,
        "lines": [
            {
                "order_line_id": line.pk,
                "quantity": 1,
                "reason": reason,
                "comment": comment,
                "photos": list(photos),
            }
        ],
        "method": "drop_off",
        "resolution": "refund",
        "locale": locale,
    }
    return client.post(BASE, data=json.dumps(body), content_type="application/json")


def test_a_reason_that_needs_a_photo_is_refused_without_one(api_a, order_a):
    response = _open(api_a, order_a, reason="damaged")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "evidence_missing"
    assert "Add at least one photo" in body["message"]
    assert body["details"]["lines"][0]["missing"] == "photos"
    assert not Return.objects.exists()


def test_the_refusal_is_in_the_shoppers_language(api_a, order_a):
    response = _open(api_a, order_a, reason="not_as_described", locale="fr")

    assert response.status_code == 422
    assert response.json()["details"]["lines"][0]["missing"] == "comment"
    assert "Dites-nous" in response.json()["message"]


def test_a_rule_that_asks_for_photos_is_enforced_and_the_photos_are_kept(api_a, order_a, store_a):
    rule = {"id": "photos-always", "then": {"require_photos": True}}
    publish_policy(store=store_a, document={"rules": [rule]}, actor=SYSTEM)

    refused = _open(api_a, order_a, reason="too_small")
    accepted = _open(api_a, order_a, reason="too_small", photos=[PHOTO])

    assert refused.status_code == 422
    assert accepted.status_code == 201, accepted.json()
    created = ReturnEvent.objects.get(kind="created")
    assert created.data["lines"][0]["photos"] == [PHOTO]


def test_a_photo_must_be_an_https_address(api_a, order_a):
    response = _open(api_a, order_a, reason="damaged", photos=["file:///etc/passwd"])

    assert response.status_code == 422
    assert not Return.objects.exists()


def test_a_reason_with_its_comment_and_photo_is_accepted(api_a, order_a):
    response = _open(api_a, order_a, reason="defective", comment="Zip broken", photos=[PHOTO])

    assert response.status_code == 201, response.json()
