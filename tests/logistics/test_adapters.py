"""The EasyPost and Sendcloud adapters against a local server answering with the documented
payloads: success, and each error (bad credentials, invalid address, timeout, 5xx)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from retour.logistics.adapters.base import CarrierError, NotSupported, ShipmentRequest
from retour.logistics.adapters.easypost import EasyPost
from retour.logistics.adapters.sendcloud import Sendcloud
from retour.logistics.choices import TrackingStatus
from tests.logistics import payloads as p
from tests.logistics.fake_carrier import Answer
from tests.logistics.samples import SHOPPER, WAREHOUSE

REQUEST = ShipmentRequest(
    idempotency_key="retour-42-label-1",
    reference="R-7KQ4-M9XP",
    sender=SHOPPER,
    recipient=WAREHOUSE,
    item_count=3,
    weight_grams=1500,
    sender_email="shopper@example.com",
    created=dt.date(2026, 3, 1),
)


def easypost(fake, **credentials) -> EasyPost:
    return EasyPost({"api_key": "EZTK_test", "base_url": f"{fake.url}/v2", **credentials}, {})


def sendcloud(fake, api_version: str = "v2", **credentials) -> Sendcloud:
    values = {"public_key": "pub", "secret_key": "sec", "base_url": f"{fake.url}/api/v2"}
    options = {"api_version": api_version, "announce_delay": 0}
    return Sendcloud({**values, **credentials}, options)


def sendcloud_v3(fake, **options) -> Sendcloud:
    credentials = {"public_key": "pub", "secret_key": "sec", "base_url": f"{fake.url}/api/v2"}
    return Sendcloud(credentials, {"announce_delay": 0, **options})


def resumable(request: ShipmentRequest, made: list[str]) -> ShipmentRequest:
    """`request` whose checkpoint records what the carrier made in `made`."""
    return dataclasses.replace(request, checkpoint=made.append)


# ---- EasyPost ------------------------------------------------------------------------------------


def test_easypost_buys_the_cheapest_return_label_and_fetches_pdf_and_zpl(fake):
    p.serve_easypost(fake)

    result = easypost(fake).create_return_shipment(REQUEST)

    assert result.tracking_number == p.EP_TRACKING
    assert result.carrier_shipment_id == "shp_1"
    assert (result.label_pdf, result.label_zpl) == (p.PDF, p.ZPL)
    assert result.rate == Decimal("6.40")
    assert result.tracking_url.startswith("https://track.easypost.com/")
    created = fake.calls("POST", "/v2/shipments")[0]
    assert created.json()["shipment"]["is_return"] is True
    assert created.json()["shipment"]["reference"] == "retour-42-label-1"
    assert "Idempotency-Key" not in created.headers  # EasyPost documents none
    assert created.headers["Authorization"] == "Basic RVpUS190ZXN0Og=="  # "EZTK_test:"
    assert fake.calls("POST", "/v2/shipments/shp_1/buy")[0].json() == {"rate": {"id": "rate_cheap"}}


def test_easypost_rates_are_read_from_the_shipment(fake):
    p.serve_easypost(fake)

    rates = easypost(fake).rates(REQUEST)

    assert [(r.service, r.amount, r.days) for r in rates] == [
        ("GroundAdvantage", Decimal("6.40"), 4),
        ("Express", Decimal("31.25"), 1),
    ]


@pytest.mark.parametrize(
    ("status", "body", "reason", "retryable", "words"),
    [
        (
            401,
            p.easypost_error("APIKEY.INACTIVE", "This api key is no longer active."),
            "auth",
            False,
            "credentials",
        ),
        (
            422,
            p.easypost_error(
                "ADDRESS.VERIFY.FAILURE",
                "Address not found",
                [{"field": "street1", "message": "House number is missing", "suggestion": None}],
            ),
            "address",
            False,
            "House number is missing",
        ),
        (
            500,
            p.easypost_error("INTERNAL_SERVER_ERROR", "Something went wrong"),
            "unavailable",
            True,
            "500",
        ),
        (503, b"<html>Service Unavailable</html>", "unavailable", True, "503"),
    ],
)
def test_easypost_errors_are_explained(fake, status, body, reason, retryable, words):
    fake.on("POST", "/v2/shipments", Answer(status, body))

    with pytest.raises(CarrierError) as raised:
        easypost(fake).create_return_shipment(REQUEST)

    assert raised.value.reason == reason
    assert raised.value.retryable is retryable
    assert words in raised.value.message
    assert fake.calls("POST", "/v2/shipments/shp_1/buy") == []  # nothing bought


def test_easypost_timeout_is_a_retryable_error(fake):
    fake.on("POST", "/v2/shipments", Answer(201, {}, delay=2.5))

    with pytest.raises(CarrierError) as raised:
        easypost(fake).create_return_shipment(REQUEST)

    assert (raised.value.reason, raised.value.retryable) == ("timeout", True)


def test_easypost_void_asks_for_a_refund(fake):
    p.serve_easypost(fake)

    easypost(fake).void("shp_1")

    assert len(fake.calls("POST", "/v2/shipments/shp_1/refund")) == 1


def test_easypost_refused_refund_is_an_error(fake):
    fake.on("POST", "/v2/shipments/shp_1/refund", Answer(200, {"refund_status": "rejected"}))

    with pytest.raises(CarrierError):
        easypost(fake).void("shp_1")


def test_easypost_webhook_signature(fake):
    adapter = easypost(fake, webhook_secret="whsec")
    body = p.dumps(p.easypost_event("evt_1", [("in_transit", "2026-03-02T08:00:00Z")]))

    assert adapter.verify_webhook(body, {"X-Hmac-Signature": p.easypost_signature(body, "whsec")})
    assert not adapter.verify_webhook(body, {"X-Hmac-Signature": p.easypost_signature(body, "x")})
    assert not adapter.verify_webhook(
        body + b" ", {"X-Hmac-Signature": p.easypost_signature(body, "whsec")}
    )
    assert not adapter.verify_webhook(body, {})


def test_easypost_tracker_history_becomes_events_with_stable_ids(fake):
    body = p.dumps(
        p.easypost_event(
            "evt_1",
            [("pre_transit", "2026-03-01T10:00:00Z"), ("in_transit", "2026-03-02T08:00:00Z")],
        )
    )

    first = easypost(fake).parse_webhook(body)
    again = easypost(fake).parse_webhook(body)

    assert [u.status for u in first] == [TrackingStatus.PRE_TRANSIT, TrackingStatus.IN_TRANSIT]
    assert [u.provider_event_id for u in first] == [u.provider_event_id for u in again]
    assert first[1].occurred_at == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


# ---- Sendcloud -----------------------------------------------------------------------------------


def test_sendcloud_creates_a_return_parcel_with_its_label(fake):
    p.serve_sendcloud(fake)

    result = sendcloud(fake).create_return_shipment(REQUEST)

    assert (result.tracking_number, result.carrier_shipment_id) == (p.SC_TRACKING, "3172")
    assert (result.label_pdf, result.label_zpl) == (p.PDF, p.ZPL)
    assert result.carrier_name == "colissimo"
    parcel = fake.calls("POST", "/api/v2/parcels")[0].json()["parcel"]
    assert parcel["is_return"] is True
    assert parcel["request_label"] is True
    assert parcel["external_reference"] == "retour-42-label-1"
    assert parcel["from_postal_code"] == "75011"
    assert parcel["postal_code"] == "69800"
    assert fake.calls("POST", "/api/v2/parcels")[0].headers["Authorization"] == "Basic cHViOnNlYw=="


@pytest.mark.parametrize(
    ("status", "body", "reason", "retryable"),
    [
        (401, p.sendcloud_error(401, "Invalid username/password."), "auth", False),
        (
            400,
            p.sendcloud_error(400, "to_address: Invalid postal code for country FR"),
            "address",
            False,
        ),
        (500, p.sendcloud_error(500, "Internal server error"), "unavailable", True),
        (502, b"Bad gateway", "unavailable", True),
    ],
)
def test_sendcloud_errors_are_explained(fake, status, body, reason, retryable):
    fake.on("POST", "/api/v2/parcels", Answer(status, body))

    with pytest.raises(CarrierError) as raised:
        sendcloud(fake).create_return_shipment(REQUEST)

    assert (raised.value.reason, raised.value.retryable) == (reason, retryable)


def test_sendcloud_timeout_is_a_retryable_error(fake):
    fake.on("POST", "/api/v2/parcels", Answer(200, {}, delay=2.5))

    with pytest.raises(CarrierError) as raised:
        sendcloud(fake).create_return_shipment(REQUEST)

    assert raised.value.reason == "timeout"


def test_sendcloud_cancel_and_its_refusal(fake):
    p.serve_sendcloud(fake)
    sendcloud(fake).void("3172")
    fake.on(
        "POST",
        "/api/v2/parcels/3172/cancel",
        Answer(400, {"status": "failed", "message": "Shipped parcels cannot be cancelled"}),
    )

    with pytest.raises(CarrierError) as raised:
        sendcloud(fake).void("3172")

    assert "cannot be cancelled" in raised.value.message


def test_sendcloud_service_points_near_a_postcode(fake):
    fake.on(
        "GET",
        "/sp/service-points",
        Answer(
            200,
            [
                {
                    "id": 10795,
                    "name": "Tabac de la Gare",
                    "street": "Rue de Lyon",
                    "house_number": "4",
                    "postal_code": "75012",
                    "city": "Paris",
                    "country": "FR",
                    "distance": 320,
                }
            ],
        ),
    )

    points = sendcloud(fake, servicepoints_url=f"{fake.url}/sp").drop_off_points(
        country="fr", postcode="75012"
    )

    assert [(x.name, x.address, x.distance_m) for x in points] == [
        ("Tabac de la Gare", "Rue de Lyon 4", 320)
    ]
    assert "country=FR" in fake.requests[0].path
    assert "address=75012" in fake.requests[0].path


def test_sendcloud_rates_from_shipping_methods(fake):
    fake.on(
        "GET",
        "/api/v2/shipping_methods",
        Answer(
            200,
            {
                "shipping_methods": [
                    {
                        "id": 8,
                        "name": "Colissimo Return",
                        "carrier": "colissimo",
                        "countries": [{"iso_2": "FR", "price": 5.9, "lead_time_hours": 48}],
                    },
                    {
                        "id": 1343,
                        "name": "Mondial Relay Return",
                        "carrier": "mondial_relay",
                        "countries": [{"iso_2": "FR", "price": 4.2, "lead_time_hours": 96}],
                    },
                ]
            },
        ),
    )

    rates = sendcloud(fake).rates(REQUEST)

    assert [(r.rate_id, r.amount, r.days) for r in rates] == [
        ("8", Decimal("5.9"), 2),
        ("1343", Decimal("4.2"), 4),
    ]


def test_sendcloud_webhook_signature_and_event(fake):
    adapter = sendcloud(fake)
    body = p.dumps(p.sendcloud_event(11, "Delivered", 1772445600000))

    assert adapter.verify_webhook(body, {"Sendcloud-Signature": p.sendcloud_signature(body, "sec")})
    assert not adapter.verify_webhook(body, {"Sendcloud-Signature": "0" * 64})
    [update] = adapter.parse_webhook(body)
    assert update.status == TrackingStatus.DELIVERED
    assert update.occurred_at == dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def test_sendcloud_documented_signature_example():
    # The example of https://sendcloud.dev/api/v2/webhooks: body {"key": "value"}, secret
    # "secretkey".
    adapter = Sendcloud({"secret_key": "secretkey"}, {})
    signature = "1eed4b3d41f4653ac64fd56f1bf1cbfd349e4482cbc11dff7134bd93e5da4b0a"

    assert adapter.verify_webhook(b'{"key": "value"}', {"Sendcloud-Signature": signature})


@pytest.mark.parametrize(
    ("status_id", "expected"),
    [
        (1000, TrackingStatus.PRE_TRANSIT),  # Ready to send
        (3, TrackingStatus.IN_TRANSIT),  # En route to sorting center
        (62990, TrackingStatus.IN_TRANSIT),  # At sorting centre (not "returned")
        (92, TrackingStatus.OUT_FOR_DELIVERY),  # Driver en route
        (12, TrackingStatus.AVAILABLE_FOR_PICKUP),  # Awaiting customer pickup
        (11, TrackingStatus.DELIVERED),
        (80, TrackingStatus.FAILURE),  # Unable to deliver
        (62992, TrackingStatus.RETURN_TO_SENDER),  # Returned to sender
        (2000, TrackingStatus.CANCELLED),
        (1337, TrackingStatus.UNKNOWN),  # Unknown status - check carrier track & trace page
    ],
)
def test_sendcloud_status_ids(status_id, expected):
    body = p.dumps(p.sendcloud_event(status_id, "…", 1772445600000))
    [update] = Sendcloud({}, {}).parse_webhook(body)
    assert update.status == expected


def test_sendcloud_pickups_go_to_the_v3_api(fake):
    from retour.logistics.adapters.base import PickupRequest

    fake.on("POST", "/api/v3/pickups", Answer(201, {"data": {"id": 294247}}))

    result = sendcloud(fake).book_pickup(
        PickupRequest(
            carrier_shipment_id="3172",
            address=WAREHOUSE,
            date=dt.date(2026, 3, 4),
            reference="R-1",
            email="ops@example.com",
        )
    )

    assert result.confirmation == "294247"
    sent = fake.calls("POST", "/api/v3/pickups")[0].json()
    assert sent["time_slots"][0]["start_at"].startswith("2026-03-04T09:00")
    assert sent["address"]["country_code"] == WAREHOUSE.country[:2].upper()


def test_easypost_checkpoints_the_shipment_before_buying_it(fake):
    p.serve_easypost(fake)
    fake.on("POST", "/v2/shipments/shp_1/buy", Answer(200, {}, delay=2.5))  # the answer is lost
    made: list[str] = []

    with pytest.raises(CarrierError) as raised:
        easypost(fake).create_return_shipment(resumable(REQUEST, made))

    assert (raised.value.reason, raised.value.retryable) == ("timeout", True)
    assert made == ["shp_1"]


def test_easypost_resuming_a_shipment_bought_meanwhile_buys_nothing(fake):
    p.serve_easypost(fake)
    bought = {**p.easypost_bought(fake.url), "rates": p.easypost_shipment(fake.url)["rates"]}
    bought["selected_rate"] = bought["rates"][0]
    fake.on("GET", "/v2/shipments/shp_1", Answer(200, bought))

    result = easypost(fake).create_return_shipment(dataclasses.replace(REQUEST, resume_id="shp_1"))

    assert (result.tracking_number, result.rate, result.label_pdf) == (
        p.EP_TRACKING,
        Decimal("6.40"),
        p.PDF,
    )
    assert fake.calls("POST", "/v2/shipments") == []
    assert fake.calls("POST", "/v2/shipments/shp_1/buy") == []


def test_easypost_resuming_a_shipment_not_bought_buys_it_once(fake):
    p.serve_easypost(fake)
    fake.on("GET", "/v2/shipments/shp_1", Answer(200, p.easypost_shipment(fake.url)))

    result = easypost(fake).create_return_shipment(dataclasses.replace(REQUEST, resume_id="shp_1"))

    assert result.tracking_number == p.EP_TRACKING
    assert fake.calls("POST", "/v2/shipments") == []
    assert len(fake.calls("POST", "/v2/shipments/shp_1/buy")) == 1


def test_easypost_signature_header_is_read_in_any_case(fake):
    adapter = easypost(fake, webhook_secret="whsec")
    body = p.dumps(p.easypost_event("evt_1", [("in_transit", "2026-03-02T08:00:00Z")]))

    assert adapter.verify_webhook(body, {"x-hmac-signature": p.easypost_signature(body, "whsec")})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pre_transit", TrackingStatus.PRE_TRANSIT),
        ("out_for_delivery", TrackingStatus.OUT_FOR_DELIVERY),
        ("available_for_pickup", TrackingStatus.AVAILABLE_FOR_PICKUP),
        ("return_to_sender", TrackingStatus.RETURN_TO_SENDER),
        ("failure", TrackingStatus.FAILURE),
        ("cancelled", TrackingStatus.CANCELLED),
        ("error", TrackingStatus.UNKNOWN),  # EasyPost cannot track the code: no scan
        ("unknown", TrackingStatus.UNKNOWN),
    ],
)
def test_easypost_documented_tracker_statuses(fake, status, expected):
    body = p.dumps(p.easypost_event("evt_1", [(status, "2026-03-02T08:00:00Z")]))

    [update] = easypost(fake).parse_webhook(body)

    assert update.status == expected


# ---- Sendcloud v3 Returns API --------------------------------------------------------------------


def test_sendcloud_v3_creates_a_return_and_fetches_its_label(fake):
    p.serve_sendcloud_v3(fake)
    made: list[str] = []

    result = sendcloud_v3(
        fake, shipping_option_code="colissimo:home/return"
    ).create_return_shipment(resumable(REQUEST, made))

    assert made == ["5151/3172"]
    assert (result.carrier_shipment_id, result.tracking_number) == ("5151/3172", p.SC_TRACKING)
    assert (result.label_pdf, result.label_zpl) == (p.PDF, p.ZPL)
    assert (result.carrier_name, result.rate, result.currency) == (
        "colissimo",
        Decimal("5.9"),
        "EUR",
    )
    sent = fake.calls("POST", "/api/v3/returns")[0]
    body = sent.json()
    assert body["from_address"]["postal_code"] == "75011"  # the shopper
    assert body["to_address"]["postal_code"] == "69800"  # our warehouse
    assert body["external_reference"] == "retour-42-label-1"
    assert body["order_number"] == "R-7KQ4-M9XP"
    assert body["weight"] == {"value": 1500, "unit": "g"}
    assert body["ship_with"] == {
        "type": "shipping_option_code",
        "shipping_option_code": "colissimo:home/return",
    }
    assert sent.headers["Authorization"] == "Basic cHViOnNlYw=="
    accepts = [
        c.headers["Accept"] for c in fake.calls("GET", "/api/v3/parcels/3172/documents/label")
    ]
    assert accepts == ["application/pdf", "application/zpl"]


@pytest.mark.parametrize(
    ("status", "body", "reason", "retryable", "words"),
    [
        (
            401,
            {
                "errors": [
                    {
                        "status": "401",
                        "code": "authentication_failed",
                        "detail": "Invalid username/password.",
                    }
                ]
            },
            "auth",
            False,
            "Invalid username/password.",
        ),
        (
            400,
            {
                "errors": [
                    {
                        "field": "to_address.postal_code",
                        "code": "invalid",
                        "message": "Invalid postal code for country FR",
                    }
                ]
            },
            "address",
            False,
            "Invalid postal code",
        ),
        (
            500,
            {"errors": [{"status": "500", "detail": "Internal error"}]},
            "unavailable",
            True,
            "500",
        ),
        (503, b"<html>Service Unavailable</html>", "unavailable", True, "503"),
    ],
)
def test_sendcloud_v3_errors_are_explained(fake, status, body, reason, retryable, words):
    fake.on("POST", "/api/v3/returns", Answer(status, body))
    made: list[str] = []

    with pytest.raises(CarrierError) as raised:
        sendcloud_v3(fake).create_return_shipment(resumable(REQUEST, made))

    assert (raised.value.reason, raised.value.retryable) == (reason, retryable)
    assert words in raised.value.message
    assert made == []
    assert [r.method for r in fake.requests] == ["POST"]  # no label asked for


def test_sendcloud_v3_timeout_is_a_retryable_error(fake):
    fake.on("POST", "/api/v3/returns", Answer(201, {}, delay=2.5))

    with pytest.raises(CarrierError) as raised:
        sendcloud_v3(fake).create_return_shipment(REQUEST)

    assert (raised.value.reason, raised.value.retryable) == ("timeout", True)


def test_sendcloud_v3_announcement_failure_is_a_clear_final_error(fake):
    p.serve_sendcloud_v3(fake)
    error = {
        "status": "400",
        "code": "parcel_announcement_error",
        "detail": "House number is missing",
        "source": {"pointer": "/from_address/address_line_1"},
    }
    returned = p.sendcloud_v3_return(fake.url, announced=False, errors=[error])
    fake.on("GET", f"/api/v3/returns/{p.SC_RETURN_ID}", Answer(200, returned))

    with pytest.raises(CarrierError) as raised:
        sendcloud_v3(fake).create_return_shipment(REQUEST)

    assert (raised.value.reason, raised.value.retryable) == ("address", False)
    assert "/from_address/address_line_1: House number is missing" in raised.value.message
    assert fake.calls("GET", "/api/v3/parcels/3172/documents/label") == []


def test_sendcloud_v3_a_return_not_announced_yet_is_resumed_not_made_again(fake):
    p.serve_sendcloud_v3(fake)
    waiting = p.sendcloud_v3_return(fake.url, announced=False)
    fake.on("GET", f"/api/v3/returns/{p.SC_RETURN_ID}", Answer(200, waiting))
    made: list[str] = []

    with pytest.raises(CarrierError) as raised:
        sendcloud_v3(fake).create_return_shipment(resumable(REQUEST, made))
    assert (raised.value.reason, raised.value.retryable) == ("timeout", True)
    assert len(fake.calls("GET", f"/api/v3/returns/{p.SC_RETURN_ID}")) == 3
    p.serve_sendcloud_v3(fake)  # announced meanwhile

    result = sendcloud_v3(fake).create_return_shipment(
        dataclasses.replace(REQUEST, resume_id=made[0])
    )

    assert result.tracking_number == p.SC_TRACKING
    assert len(fake.calls("POST", "/api/v3/returns")) == 1


def test_sendcloud_v3_a_reused_reference_says_what_to_do(fake):
    message = "External reference has already been used in another return."
    fake.on(
        "POST",
        "/api/v3/returns",
        Answer(
            400, {"error": {"code": "invalid", "request": "api/v3/returns", "message": message}}
        ),
    )

    with pytest.raises(CarrierError) as raised:
        sendcloud_v3(fake).create_return_shipment(REQUEST)

    assert (raised.value.reason, raised.value.retryable) == ("duplicate", False)
    assert "R-7KQ4-M9XP" in raised.value.message
    assert "retour-42-label-1" in raised.value.message


def test_sendcloud_v3_cancel_and_its_refusal(fake):
    p.serve_sendcloud_v3(fake)
    sendcloud_v3(fake).void("5151/3172")
    assert len(fake.calls("PATCH", "/api/v3/returns/5151/cancel")) == 1
    refusal = {
        "errors": [{"field": "returns", "code": 409, "message": "Return is not cancellable."}]
    }
    fake.on("PATCH", "/api/v3/returns/5151/cancel", Answer(409, refusal))

    with pytest.raises(CarrierError) as raised:
        sendcloud_v3(fake).void("5151/3172")

    assert raised.value.reason == "refused"
    assert "Return is not cancellable." in raised.value.message


def test_sendcloud_v3_poll_reads_the_status_history(fake):
    returned = p.sendcloud_v3_return(fake.url)
    returned["status_history"].append(
        {
            "carrier_update_timestamp": "2026-03-03T08:00:00+01:00",
            "parcel_status_history_id": "2",
            "parent_status": "at-sorting-centre",
            "carrier_code": "SRT",
            "carrier_message": "Arrived at the sorting centre",
        }
    )
    fake.on("GET", f"/api/v3/returns/{p.SC_RETURN_ID}", Answer(200, returned))

    updates = sendcloud_v3(fake).poll(carrier_shipment_id="5151/3172", tracking_number="")

    assert [(u.status, u.provider_event_id) for u in updates] == [
        (TrackingStatus.PRE_TRANSIT, "3172:history:1"),
        (TrackingStatus.IN_TRANSIT, "3172:history:2"),
    ]
    assert updates[1].occurred_at == dt.datetime(2026, 3, 3, 7, tzinfo=dt.UTC)
    assert updates[1].tracking_number == p.SC_TRACKING


def test_sendcloud_v3_has_no_rates_to_shop_yet(fake):
    with pytest.raises(NotSupported):
        sendcloud_v3(fake).rates(REQUEST)
