"""`GET /stores/{store}/dropoff-points`: a carrier account's drop-off points near a postcode,
here Sendcloud's service points served by the local fake."""

from __future__ import annotations

import pytest

from tests.logistics.factories import CarrierAccountFactory
from tests.logistics.fake_carrier import Answer

pytestmark = pytest.mark.django_db

# As https://sendcloud.dev/api/v2/service-points/retrieve-a-list-of-service-points answers.
POINT = {
    "id": 10795,
    "code": "217165",
    "is_active": True,
    "shop_type": None,
    "general_shop_type": "servicepoint",
    "extra_data": {},
    "name": "Tabac de la Gare",
    "street": "Rue de Lyon",
    "house_number": "4",
    "postal_code": "75012",
    "city": "Paris",
    "latitude": "48.844",
    "longitude": "2.374",
    "email": "",
    "phone": "",
    "homepage": "",
    "carrier": "colissimo",
    "country": "FR",
    "formatted_opening_times": {},
    "open_tomorrow": True,
    "open_upcoming_week": True,
    "distance": 320,
}


def sendcloud_account(store, fake):
    return CarrierAccountFactory(
        store=store,
        kind="sendcloud",
        name="Sendcloud",
        credentials={
            "public_key": "pub",
            "secret_key": "sec",
            "base_url": f"{fake.url}/api/v2",
            "servicepoints_url": f"{fake.url}/sp/api/v2",
        },
    )


def test_dropoff_points_of_a_carrier_account(store_a, api_a, fake):
    account = sendcloud_account(store_a, fake)
    fake.on("GET", "/sp/api/v2/service-points", Answer(200, [POINT]))

    response = api_a.get(
        f"/api/v1/stores/store-a/dropoff-points?carrier={account.pk}&postcode=75012&country=fr"
    )

    assert response.status_code == 200, response.content
    assert response.json() == [
        {
            "id": "10795",
            "name": "Tabac de la Gare",
            "address": "Rue de Lyon 4",
            "postcode": "75012",
            "city": "Paris",
            "country": "FR",
            "distance_m": 320,
        }
    ]
    [asked] = fake.calls("GET", "/sp/api/v2/service-points")
    assert "country=FR" in asked.path
    assert "address=75012" in asked.path
    assert asked.headers["Authorization"].startswith("Basic ")


def test_dropoff_points_errors(store_a, api_a, fake):
    account = sendcloud_account(store_a, fake)
    fake.on(
        "GET",
        "/sp/api/v2/service-points",
        Answer(500, {"error": {"code": 500, "message": "Internal server error"}}),
    )
    url = "/api/v1/stores/store-a/dropoff-points"

    assert api_a.get(f"{url}?carrier={account.pk}&postcode=75012&country=FR").status_code == 502
    assert api_a.get(f"{url}?carrier={account.pk}&postcode=75012&country=FRA").status_code == 422
    assert api_a.get(f"{url}?carrier=999999&postcode=75012&country=FR").status_code == 404
    assert api_a.get(f"{url}?carrier={account.pk}&country=FR").status_code == 422
