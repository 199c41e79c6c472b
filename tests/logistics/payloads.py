"""Provider payloads shaped as their API documentation shows them (see the adapters' docstrings
for the pages), and helpers to sign webhooks as the providers do."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from tests.logistics.fake_carrier import Answer

PDF = b"%PDF-1.4\n% a carrier's label\n"
ZPL = b"^XA^FO50,50^A0N,40,40^FDRETURN^FS^XZ"
EP_TRACKING = "9400100208271108400217"
SC_TRACKING = "3SYZXG132912330"


def easypost_shipment(url: str, shipment_id: str = "shp_1") -> dict[str, Any]:
    return {
        "id": shipment_id,
        "object": "Shipment",
        "is_return": True,
        "mode": "test",
        "messages": [],
        "rates": [
            {
                "id": "rate_cheap",
                "object": "Rate",
                "carrier": "USPS",
                "service": "GroundAdvantage",
                "rate": "6.40",
                "currency": "USD",
                "delivery_days": 4,
                "shipment_id": shipment_id,
            },
            {
                "id": "rate_fast",
                "object": "Rate",
                "carrier": "USPS",
                "service": "Express",
                "rate": "31.25",
                "currency": "USD",
                "delivery_days": 1,
                "shipment_id": shipment_id,
            },
        ],
    }


def easypost_bought(url: str, shipment_id: str = "shp_1", service: str = "GroundAdvantage"):
    return {
        "id": shipment_id,
        "object": "Shipment",
        "tracking_code": EP_TRACKING,
        "selected_rate": {"id": "rate_cheap", "carrier": "USPS", "service": service},
        "postage_label": {
            "object": "PostageLabel",
            "label_file_type": "application/pdf",
            "label_url": f"{url}/files/label.png",
            "label_pdf_url": f"{url}/files/label.pdf",
        },
        "tracker": {
            "id": "trk_1",
            "object": "Tracker",
            "public_url": "https://track.easypost.com/djE6dHJrXzE",
        },
    }


def easypost_error(code: str, message: str, errors=()) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": list(errors)}}


def serve_easypost(fake, shipment_id: str = "shp_1") -> None:
    fake.on("POST", "/v2/shipments", Answer(201, easypost_shipment(fake.url, shipment_id)))
    fake.on("POST", f"/v2/shipments/{shipment_id}/buy", Answer(200, easypost_bought(fake.url)))
    fake.on(
        "GET",
        f"/v2/shipments/{shipment_id}/label",
        Answer(
            200,
            {"id": shipment_id, "postage_label": {"label_zpl_url": f"{fake.url}/files/label.zpl"}},
        ),
    )
    fake.on("GET", "/files/label.pdf", Answer(200, PDF, "application/pdf"))
    fake.on("GET", "/files/label.zpl", Answer(200, ZPL, "application/zpl"))
    fake.on(
        "POST",
        f"/v2/shipments/{shipment_id}/refund",
        Answer(200, {"id": shipment_id, "refund_status": "submitted"}),
    )


def easypost_event(event_id: str, details: list[tuple[str, str]], shipment_id: str = "shp_1"):
    """A `tracker.updated` Event whose tracker history is `details` [(status, datetime)]."""
    return {
        "id": event_id,
        "object": "Event",
        "mode": "test",
        "description": "tracker.updated",
        "result": {
            "id": "trk_1",
            "object": "Tracker",
            "tracking_code": EP_TRACKING,
            "shipment_id": shipment_id,
            "status": details[-1][0],
            "tracking_details": [
                {"object": "TrackingDetail", "status": status, "message": status, "datetime": when}
                for status, when in details
            ],
        },
    }


def easypost_signature(body: bytes, secret: str) -> str:
    return "hmac-sha256-hex=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sendcloud_parcel(url: str, parcel_id: int = 3172) -> dict[str, Any]:
    return {
        "parcel": {
            "id": parcel_id,
            "name": "Maison Exemple",
            "tracking_number": SC_TRACKING,
            "tracking_url": f"https://tracking.sendcloud.sc/forward?carrier=colissimo&code={SC_TRACKING}",
            "is_return": True,
            "status": {"id": 1000, "message": "Ready to send"},
            "carrier": {"code": "colissimo"},
            "shipment": {"id": 8, "name": "Colissimo Home Return"},
            "label": {
                "normal_printer": [
                    f"{url}/api/v2/label/normal_printer/{parcel_id}?start_from=0&hash=bbfd669e"
                ],
                "label_printer": f"{url}/api/v2/label/label_printer/{parcel_id}?hash=bbfd669e",
            },
            "order_number": "R-T000-0000",
        }
    }


def serve_sendcloud(fake, parcel_id: int = 3172) -> None:
    fake.on("POST", "/api/v2/parcels", Answer(200, sendcloud_parcel(fake.url, parcel_id)))
    fake.on("GET", f"/api/v2/label/label_printer/{parcel_id}", Answer(200, PDF, "application/pdf"))
    fake.on(
        "GET", f"/api/v2/parcels/{parcel_id}/documents/label", Answer(200, ZPL, "application/zpl")
    )
    fake.on(
        "POST",
        f"/api/v2/parcels/{parcel_id}/cancel",
        Answer(200, {"status": "cancelled", "message": "Parcel has been cancelled"}),
    )


SC_RETURN_ID = 5151


def sendcloud_v3_return(url: str, parcel_id: int = 3172, *, announced: bool = True, errors=()):
    """A v3 Return as `GET /returns/{id}` shows it: before the carrier has it, no tracking
    number and no label; an announcement failure lists `errors`."""
    label = f"{url}/api/v3/parcels/{parcel_id}/documents/label"
    return {
        "from_address": {
            "name": "Camille Martin",
            "address_line_1": "12 rue Oberkampf",
            "postal_code": "75011",
            "city": "Paris",
            "country_code": "FR",
        },
        "to_address": {
            "name": "Maison Exemple",
            "address_line_1": "ZA des Chênes",
            "postal_code": "69800",
            "city": "Saint-Priest",
            "country_code": "FR",
        },
        "shipping_product": {"code": "colissimo:home/return"},
        "shipping_option": {"code": "colissimo:home/return"},
        "weight": {"value": 1500, "unit": "g"},
        "collo_count": 1,
        "send_tracking_emails": False,
        "label_url": label if announced else None,
        "label": {"label_printer": label, "normal_printer": [f"{label}?paper_size=a4"] * 4}
        if announced
        else None,
        "label_cost": {"value": 5.9, "currency": "EUR"} if announced else None,
        "tracking_number": SC_TRACKING if announced else None,
        "tracking_url": f"https://tracking.eu-central-1-0.sendcloud.sc/forward?carrier=colissimo&code={SC_TRACKING}"
        if announced
        else None,
        "is_cancellable": True,
        "status_history": [
            {
                "carrier_update_timestamp": "2026-03-02T10:00:00+01:00",
                "parcel_status_history_id": "1",
                "parent_status": "announced" if announced else "announcing",
                "carrier_code": "",
                "carrier_message": "",
            }
        ],
        "created_at": "2026-03-02T09:59:00+01:00",
        "order_number": "R-T000-0000",
        "errors": list(errors),
    }


def serve_sendcloud_v3(fake, parcel_id: int = 3172, return_id: int = SC_RETURN_ID) -> None:
    fake.on(
        "POST",
        "/api/v3/returns",
        Answer(201, {"return_id": return_id, "parcel_id": parcel_id, "multi_collo_ids": []}),
    )
    fake.on("GET", f"/api/v3/returns/{return_id}", Answer(200, sendcloud_v3_return(fake.url)))
    fake.on("GET", f"/api/v3/parcels/{parcel_id}/documents/label", sendcloud_document)
    fake.on(
        "PATCH",
        f"/api/v3/returns/{return_id}/cancel",
        Answer(202, {"message": "Cancellation requested successfully"}),
    )


def sendcloud_document(recorded) -> Answer:
    """`GET /parcels/{id}/documents/label` answers in the format the `Accept` header asks."""
    if recorded.headers.get("Accept") == "application/zpl":
        return Answer(200, ZPL, "application/zpl")
    return Answer(200, PDF, "application/pdf")


def sendcloud_error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "request": "api/v2/parcels", "message": message}}


def sendcloud_event(status_id: int, message: str, at_ms: int, parcel_id: int = 3172) -> dict:
    return {
        "action": "parcel_status_changed",
        "timestamp": at_ms + 500,
        "carrier_status_change_timestamp": at_ms,
        "parcel": {
            "id": parcel_id,
            "name": "Maison Exemple",
            "tracking_number": SC_TRACKING,
            "is_return": True,
            "status": {"id": status_id, "message": message},
            "shipment": {"id": 8, "name": "Colissimo Home Return"},
            "order_number": "R-T000-0000",
        },
    }


def sendcloud_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
