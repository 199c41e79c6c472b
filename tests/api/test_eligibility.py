"""`POST /stores/{store}/orders/{number}/eligibility`: the policy's explanation of an order before
a return is submitted, in the asked language; bad input answers 422 with a reason; the same
number of queries for 1 and 50 lines."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.policy.services import publish_policy
from tests.factories import SYSTEM, OrderFactory

pytestmark = pytest.mark.django_db


def _post(client, order, body=None, store="store-a"):
    return client.post(
        f"/api/v1/stores/{store}/orders/{order.number}/eligibility",
        data=json.dumps(body or {}),
        content_type="application/json",
    )


def test_each_line_is_explained_with_its_deadline_resolutions_and_methods(api_a, order_a):
    response = _post(api_a, order_a, {"locale": "fr"})

    assert response.status_code == 200
    body = response.json()
    assert body["order_number"] == order_a.number
    assert [line["line"] for line in body["lines"]] == list(
        order_a.lines.order_by("id").values_list("id", flat=True)
    )
    first = body["lines"][0]
    assert first["eligible"] is True
    assert first["case"] == "withdrawal"  # a French shopper inside the 14 days
    assert first["deadline"]
    assert "refund" in first["resolutions"]
    assert first["methods"]
    assert "rétracter" in first["messages"][0]["text"]


def test_the_shoppers_choice_fires_the_rules_that_read_it(api_a, order_a, store_a):
    rule = {
        "id": "photos-for-damage",
        "when": {"reasons": ["damaged"]},
        "then": {"require_photos": True, "decision": "review"},
    }
    publish_policy(store=store_a, document={"rules": [rule]}, actor=SYSTEM)
    line = order_a.lines.order_by("id").first()
    body = {
        "method": "drop_off",
        "resolution": "refund",
        "lines": [{"order_line_id": line.pk, "quantity": 1, "reason": "damaged"}],
    }

    decided = _post(api_a, order_a, body).json()

    assert decided["fired_rules"] == ["photos-for-damage"]
    assert decided["outcome"] == "review"
    assert decided["lines"][0]["requires_photos"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"method": "teleport"},
        {"resolution": "cash"},
        {"lines": [{"order_line_id": 999999, "quantity": 1}]},
        {"lines": [{"order_line_id": 0, "quantity": 0}]},
        {"lines": [{"order_line_id": 0, "quantity": 1, "reason": "no-such-reason"}]},
        {"locale": "de"},
    ],
)
def test_bad_input_answers_422_with_a_reason(api_a, order_a, body):
    for line in body.get("lines", []):
        if line["order_line_id"] == 0:
            line["order_line_id"] = order_a.lines.first().pk

    response = _post(api_a, order_a, body)

    assert response.status_code == 422
    assert response.json()["message"]


def test_another_stores_order_is_not_found(key_client, store_b, order_a):
    assert _post(key_client(store_b), order_a, store="store-b").status_code == 404


def _queries(client, order) -> int:
    line_ids = order.lines.order_by("id").values_list("id", flat=True)
    body = {
        "method": "drop_off",
        "resolution": "refund",
        "lines": [{"order_line_id": i, "quantity": 1, "reason": "too_small"} for i in line_ids],
    }
    with CaptureQueriesContext(connection) as captured:
        assert _post(client, order, body).status_code == 200
    return len(captured)


def test_one_line_and_fifty_lines_cost_the_same_queries(api_a, store_a):
    small = OrderFactory(store=store_a, lines=[1])
    large = OrderFactory(store=store_a, lines=[1] * 50)
    _queries(api_a, small)  # warms what is done once (the key's last use, the policy cache)

    assert _queries(api_a, small) == _queries(api_a, large)
