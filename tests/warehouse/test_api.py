"""The warehouse API, the way a handheld or a WMS calls it."""

import json

import pytest

from retour.accounts.scopes import Scope
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = pytest.mark.django_db
W = "/api/v1/stores/store-a/warehouse"


@pytest.fixture
def api(store_a, key_client):
    return key_client(store_a, [Scope.RETURNS_RECEIVE])


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_scan_receive_inspect_and_dispose(api, store_a):
    warehouse_of(store_a)
    return_request, (first, second) = parcel_on_its_way(store_a)
    rma = return_request.rma

    scanned = api.get(f"{W}/scan", {"code": "6A123456789FR"})
    received = _post(
        api,
        f"{W}/returns/{rma}/receive",
        {
            "lines": [{"line_id": first.pk, "received_qty": 2}],
            "extras": [{"kind": "wrong_item", "code": "4006381333931"}],
        },
    )
    inspected = _post(
        api, f"{W}/returns/{rma}/lines/{first.pk}/units/1", {"grade": "A", "checklist": {}}
    )
    disposed = _post(api, f"{W}/returns/{rma}/lines/{first.pk}/units/1/disposition", {})
    destroy = _post(
        api, f"{W}/returns/{rma}/lines/{first.pk}/units/1/disposition", {"disposition": "destroy"}
    )

    assert scanned.status_code == 200
    assert [line["barcode"] for line in scanned.json()["lines"]] == [
        "3700000000011",
        "3700000000022",
    ]
    assert received.status_code == 201, received.content
    kinds = sorted(d["kind"] for d in received.json()["discrepancies"])
    assert kinds == ["missing", "wrong_item"]
    assert inspected.status_code == 201, inspected.content
    assert inspected.json()["suggested_disposition"] == "restock"
    assert disposed.status_code == 200, disposed.content
    assert disposed.json()["restocked_sku"] == first.order_line.sku
    assert destroy.status_code == 409  # already disposed of


def test_a_forbidden_destruction_answers_422_with_the_rule(api, store_a):
    warehouse_of(store_a)
    return_request, (first, _second) = parcel_on_its_way(store_a)
    rma = return_request.rma
    _post(api, f"{W}/returns/{rma}/receive", {"lines": [{"line_id": first.pk, "received_qty": 1}]})
    _post(api, f"{W}/returns/{rma}/lines/{first.pk}/units/1", {"grade": "D"})

    response = _post(
        api,
        f"{W}/returns/{rma}/lines/{first.pk}/units/1/disposition",
        {"disposition": "destroy", "override_reason": "stained"},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "destruction_forbidden"
    assert {rule["code"] for rule in body["details"]["rules"]} == {"fr_agec", "eu_espr"}


def test_the_disclosure_csv_answers(api):
    response = api.get(f"{W}/reports/disclosure.csv", {"year": 2026})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("year,category,disposition,reason,quantity")
