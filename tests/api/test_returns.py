"""The returns API: opening, acting on, listing and reading returns."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retour.accounts.scopes import Scope
from retour.returns.models import Return
from tests.factories import OrderFactory, ReturnFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/stores/store-a/returns"


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _open(client, order, quantity=1, line_index=0):
    line = order.lines.order_by("id")[line_index]
    return _post(
        client,
        BASE,
        {
            "order_number": order.number,
            "lines": [{"order_line_id": line.pk, "quantity": quantity, "reason": "too_small"}],
            "method": "drop_off",
            "resolution": "refund",
        },
    )


def test_opening_a_return_answers_201_with_the_return(api_a, order_a):
    response = _open(api_a, order_a)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "requested"
    assert body["order_number"] == order_a.number
    assert [(line["quantity"], line["reason"]) for line in body["lines"]] == [(1, "too_small")]
    assert "approved" in body["allowed_transitions"]
    assert [event["kind"] for event in body["events"]] == ["created"]


def test_the_return_records_the_api_key_as_its_author(api_a, order_a):
    body = _open(api_a, order_a).json()

    assert body["events"][0]["actor_kind"] == "api"
    assert body["events"][0]["actor_label"].startswith("test key (rtk_")


def test_more_than_returnable_is_422_quantity_exceeded(api_a, order_a):
    response = _open(api_a, order_a, quantity=3)

    assert response.status_code == 422
    assert response.json()["code"] == "quantity_exceeded"
    assert response.json()["details"]["returnable"] == 2
    assert not Return.objects.exists()


def test_a_return_for_an_unknown_order_is_404(api_a, order_a):
    response = _post(
        api_a,
        BASE,
        {
            "order_number": "nope",
            "lines": [{"order_line_id": 1, "quantity": 1}],
            "method": "drop_off",
            "resolution": "refund",
        },
    )

    assert response.status_code == 404


def test_an_illegal_transition_is_409(api_a, order_a):
    rma = _open(api_a, order_a).json()["rma"]

    response = _post(api_a, f"{BASE}/{rma}/close")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert Return.objects.get(rma=rma).status == "requested"


def test_approving_answers_the_approved_return(api_a, order_a):
    rma = _open(api_a, order_a).json()["rma"]

    response = _post(api_a, f"{BASE}/{rma}/approve", {"reason": "fine"})

    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_rejecting_without_a_reason_is_422(api_a, order_a):
    rma = _open(api_a, order_a).json()["rma"]

    response = _post(api_a, f"{BASE}/{rma}/reject", {"reason": ""})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert Return.objects.get(rma=rma).status == "requested"


def test_an_rma_is_found_whatever_its_case(api_a, order_a):
    rma = _open(api_a, order_a).json()["rma"]

    assert api_a.get(f"{BASE}/{rma.lower()}").status_code == 200


def test_a_warehouse_operator_cannot_approve(order_a, warehouse_a, session_client):
    return_request = ReturnFactory(order=order_a)

    response = _post(session_client(warehouse_a), f"{BASE}/{return_request.rma}/approve")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Return.objects.get(pk=return_request.pk).status == "requested"


def test_an_owner_can_approve(order_a, owner_a, session_client):
    return_request = ReturnFactory(order=order_a)

    response = _post(session_client(owner_a), f"{BASE}/{return_request.rma}/approve")

    assert response.status_code == 200
    assert Return.objects.get(pk=return_request.pk).status == "approved"


def test_a_warehouse_operator_can_receive(order_a, warehouse_a, session_client):
    return_request = ReturnFactory(order=order_a, status="delivered")
    line = return_request.lines.first()

    response = _post(
        session_client(warehouse_a),
        f"{BASE}/{return_request.rma}/receive",
        {"lines": [{"line_id": line.pk, "received_qty": 1}]},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "received"
    assert response.json()["events"][-1]["actor_kind"] == "staff"


def test_the_list_is_paginated_with_a_cursor(api_a, store_a):
    created = [ReturnFactory(order=OrderFactory(store=store_a)).rma for _ in range(5)]
    newest_first = list(reversed(created))

    first = api_a.get(f"{BASE}?limit=2").json()
    second = api_a.get(f"{BASE}?limit=2&cursor={first['next_cursor']}").json()
    third = api_a.get(f"{BASE}?limit=2&cursor={second['next_cursor']}").json()

    pages = [[item["rma"] for item in page["items"]] for page in (first, second, third)]
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    assert third["next_cursor"] is None


def test_the_list_filters_by_status(api_a, store_a):
    ReturnFactory(order=OrderFactory(store=store_a), status="approved")
    ReturnFactory(order=OrderFactory(store=store_a), status="requested")

    items = api_a.get(f"{BASE}?status=approved").json()["items"]

    assert [item["status"] for item in items] == ["approved"]


def _queries_to_read(client, return_request) -> int:
    url = f"{BASE}/{return_request.rma}"
    client.get(url)  # the first call records the key's last use
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_reading_a_return_of_50_lines_makes_as_many_queries_as_one_line(store_a, key_client):
    client = key_client(store_a, [Scope.RETURNS_READ])

    small = _queries_to_read(client, ReturnFactory(order=OrderFactory(store=store_a, lines=[1])))
    large = _queries_to_read(
        client, ReturnFactory(order=OrderFactory(store=store_a, lines=[1] * 50))
    )

    assert small == large
    assert large <= 6
