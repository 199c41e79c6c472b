"""Sendcloud (https://www.sendcloud.com): European carriers (Colissimo, Mondial Relay, DHL, UPS,
PostNL…) behind one API. Return labels: the v3 Returns API (`sendcloud_v3`, accounts created
after 13 April 2026, the default) or the v2 parcels API below (older accounts: the account's
options say `"api_version": "v2"`); rates, service points, pickups and webhooks are shared.

Documentation read (2026), checked again against the published pages (see docs/logistics.md):
- Parcels: https://sendcloud.dev/api/v2/parcels/create-a-parcel-or-parcels — `POST /parcels`
  with `request_label: true` and `is_return: true` (the parcel's address is where it goes: our
  warehouse; the `from_*` fields are the shopper), `shipment.id` the shipping method,
  `external_reference` our key; the answer's `parcel` has `id`, `tracking_number`,
  `tracking_url`, `carrier.code`, `label.label_printer` (A6 PDF, a `…/label/label_printer/{id}
  ?hash=…` URL) and `label.normal_printer[]` (A4); https://sendcloud.dev/api/v2/parcels/
  retrieve-a-parcel (`date_updated`, `status.id`/`status.message`);
  https://sendcloud.dev/api/v2/parcels/cancel-a-parcel — `POST /parcels/{id}/cancel` voids it
  (`{"status": "cancelled"|"queued"|…, "message"}`). (v2 "create a parcel" is closed to accounts
  created after 13 April 2026; those use the v3 Returns API: `sendcloud_v3`.)
- Labels: https://sendcloud.dev/api/v2/labels (PDF for label / normal printers) and
  https://sendcloud.dev/api/v2/parcel-documents/retrieve-parcel-documents — `GET
  /parcels/{id}/documents/label` with `Accept: application/zpl` gives the ZPL (the `Accept`
  values `application/pdf`, `application/zpl`, `image/png` are listed on
  https://sendcloud.dev/api/v3/parcel-documents/retrieve-a-parcel-document; we ask `dpi=203`).
- Shipping methods and prices: https://sendcloud.dev/api/v2/shipping-methods — `GET
  /shipping_methods?is_return=true&to_country=…` (`countries[].price`, `lead_time_hours`).
- Service points: https://sendcloud.dev/api/v2/service-points/retrieve-a-list-of-service-points
  — `GET /service-points?country=…&address=…&radius=…` on `servicepoints.sendcloud.sc/api/v2`.
- Pickups: https://sendcloud.dev/api/v3/pickups/create-a-pickup and
  https://sendcloud.dev/docs/shipments/pickups — `POST https://panel.sendcloud.sc/api/v3/pickups`
  (a v3 endpoint, not under `/api/v2`) with `address` (`name`, `address_line_1`, `postal_code`,
  `city`, `country_code`, `email`, `phone_number`) and `time_slots[]` (`start_at`, `end_at`).
- Webhooks: https://sendcloud.dev/api/v2/webhooks and
  https://sendcloud.dev/api/v2/webhooks/parcel-status-changed — `action:
  "parcel_status_changed"`, `timestamp`, `carrier_status_change_timestamp` (ms), `parcel.status`
  (`id`, `message`); the `Sendcloud-Signature` header is the hex HMAC-SHA256 of the raw body with
  the integration's secret key (or its webhook signature key), the documented example is a test.
- Parcel statuses: https://sendcloud.dev/api/v2/parcel-statuses (`GET /parcels/statuses`) and
  https://sendcloud.dev/docs/tracking/tracking-statuses (the names). The pages list the names but
  not the numeric ids; the ids in `STATUSES` are those `GET /parcels/statuses` answers, as public
  Sendcloud client code records them (e.g. 62990 is "At sorting centre", 62992 "Returned to
  sender"). Unknown ids map to UNKNOWN, never to a wrong status.
- Errors: `{"error": {"code", "message", "request"}}` with the HTTP status (v3 shapes:
  `sendcloud_v3.describe_answer`).
Authentication is HTTP Basic with the integration's public and secret keys. Base URLs:
`credentials["base_url"]` / `["servicepoints_url"]` (tests point them at a local server).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from retour.logistics.choices import CarrierKind, TrackingStatus

from . import sendcloud_v3 as v3
from .base import (
    Carrier,
    CarrierError,
    DropOffPoint,
    HttpAnswer,
    NotSupported,
    PickupRequest,
    PickupResult,
    Rate,
    ShipmentRequest,
    ShipmentResult,
    TrackingUpdate,
    basic_auth,
    error_for_status,
    header,
    http_request,
    split_street,
)

DEFAULT_BASE_URL = "https://panel.sendcloud.sc/api/v2"
DEFAULT_SERVICEPOINTS_URL = "https://servicepoints.sendcloud.sc/api/v2"

# Sendcloud's parcel status ids (`GET /parcels/statuses`, see the module docstring), normalised.
# Ids missing here (1337 "Unknown status", 94 "Parcel cancellation failed"…) map to UNKNOWN, and
# so do 1002 "Announcement failed" and 15 "Error collecting": the parcel never left, no scan.
STATUSES = {
    999: TrackingStatus.PRE_TRANSIT,  # No label
    1000: TrackingStatus.PRE_TRANSIT,  # Ready to send
    1001: TrackingStatus.PRE_TRANSIT,  # Being announced
    1: TrackingStatus.PRE_TRANSIT,  # Announced
    13: TrackingStatus.PRE_TRANSIT,  # Announced: not collected
    3: TrackingStatus.IN_TRANSIT,  # En route to sorting center
    4: TrackingStatus.IN_TRANSIT,  # Delivery delayed
    5: TrackingStatus.IN_TRANSIT,  # Sorted
    6: TrackingStatus.IN_TRANSIT,  # Not sorted
    7: TrackingStatus.IN_TRANSIT,  # Being sorted
    22: TrackingStatus.IN_TRANSIT,  # Shipment picked up by driver
    91: TrackingStatus.IN_TRANSIT,  # Parcel en route
    62989: TrackingStatus.IN_TRANSIT,  # At customs
    62990: TrackingStatus.IN_TRANSIT,  # At sorting centre
    62993: TrackingStatus.IN_TRANSIT,  # Delivery method changed
    62994: TrackingStatus.IN_TRANSIT,  # Delivery date changed
    62995: TrackingStatus.IN_TRANSIT,  # Delivery address changed
    92: TrackingStatus.OUT_FOR_DELIVERY,  # Driver en route
    12: TrackingStatus.AVAILABLE_FOR_PICKUP,  # Awaiting customer pickup
    11: TrackingStatus.DELIVERED,  # Delivered
    93: TrackingStatus.DELIVERED,  # Shipment collected by customer
    8: TrackingStatus.FAILURE,  # Delivery attempt failed
    80: TrackingStatus.FAILURE,  # Unable to deliver
    62996: TrackingStatus.FAILURE,  # Exception
    62997: TrackingStatus.FAILURE,  # Address invalid
    62991: TrackingStatus.RETURN_TO_SENDER,  # Refused by recipient
    62992: TrackingStatus.RETURN_TO_SENDER,  # Returned to sender
    1998: TrackingStatus.CANCELLED,  # Cancelled upstream
    1999: TrackingStatus.CANCELLED,  # Cancellation requested
    2000: TrackingStatus.CANCELLED,  # Cancelled
    2001: TrackingStatus.CANCELLED,  # Submitting cancellation request
}


def _timestamp(value: Any) -> dt.datetime | None:
    """Sendcloud's timestamps are Unix times in milliseconds (seconds are accepted too)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number > 1e11:
        number /= 1000
    return dt.datetime.fromtimestamp(number, tz=dt.UTC)


class Sendcloud(Carrier):
    kind = CarrierKind.SENDCLOUD

    def _auth(self) -> dict[str, str]:
        return {
            "Authorization": basic_auth(
                self.credentials.get("public_key", ""), self.credentials.get("secret_key", "")
            )
        }

    def _url(self, path: str) -> str:
        return (self.credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/") + path

    def _v3_url(self, path: str) -> str:
        """The v3 APIs (pickups) live beside v2: `…/api/v3` for a base URL `…/api/v2`."""
        base = (self.credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        if base.endswith("/v2"):
            base = base[: -len("/v2")] + "/v3"
        return base + path

    def _call(self, method: str, url: str, payload: Any = None, *, address: bool = False) -> Any:
        answer = http_request(method, url, payload=payload, headers=self._auth())
        if answer.status >= 400:
            raise self._error(answer, address=address)
        return answer.json()

    @staticmethod
    def _error(answer: HttpAnswer, *, address: bool) -> CarrierError:
        message, is_address = v3.describe_answer(answer)
        return error_for_status(answer.status, message, address=address and is_address)

    @property
    def _v2(self) -> bool:
        return self.options.get("api_version") == "v2"

    # ---- return labels -------------------------------------------------------------------------

    def create_return_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        if not self._v2:
            return v3.create(self, request)
        if request.resume_id:
            data = self._call("GET", self._url(f"/parcels/{request.resume_id}")).get("parcel")
        else:
            data = self._create_parcel(request)
            request.made(str(data["id"]))
        return self._parcel_result(data or {})

    def _create_parcel(self, request: ShipmentRequest) -> dict[str, Any]:
        street, extra = split_street(request.recipient.lines)
        from_street, from_extra = split_street(request.sender.lines)
        method = request.service or self.options.get("shipping_method_id")
        parcel: dict[str, Any] = {
            "name": request.recipient.name,
            "address": street,
            "address_2": extra,
            "city": request.recipient.city,
            "postal_code": request.recipient.postcode,
            "country": request.recipient.country[:2].upper(),
            "from_name": request.sender.name,
            "from_address_1": from_street,
            "from_address_2": from_extra,
            "from_city": request.sender.city,
            "from_postal_code": request.sender.postcode,
            "from_country": request.sender.country[:2].upper(),
            "from_email": request.sender_email,
            "from_telephone": request.sender_phone,
            "is_return": True,
            "request_label": True,
            "order_number": request.reference,
            "external_reference": request.idempotency_key,
            "weight": f"{max(request.weight_grams, 1) / 1000:.3f}",
            "quantity": 1,
        }
        if method:
            parcel["shipment"] = {"id": int(method)}
        created = self._call("POST", self._url("/parcels"), {"parcel": parcel}, address=True)
        data = created.get("parcel") or {}
        if not data.get("id"):
            raise CarrierError(_("The carrier sent no label."), reason="refused")
        return data

    def _parcel_result(self, data: dict[str, Any]) -> ShipmentResult:
        label_url = (data.get("label") or {}).get("label_printer")
        if not data.get("id") or not data.get("tracking_number") or not label_url:
            raise CarrierError(_("The carrier sent no label."), reason="refused")
        pdf = http_request("GET", label_url, headers=self._auth())
        if pdf.status >= 400:
            raise self._error(pdf, address=False)
        zpl = http_request(
            "GET",
            self._url(f"/parcels/{data['id']}/documents/label?dpi=203"),
            headers={**self._auth(), "Accept": "application/zpl"},
        )
        carrier = data.get("carrier") or {}
        shipment = data.get("shipment") or {}
        return ShipmentResult(
            carrier_shipment_id=str(data["id"]),
            tracking_number=data["tracking_number"],
            carrier_name=carrier.get("code", "") if isinstance(carrier, dict) else str(carrier),
            service=shipment.get("name", ""),
            label_pdf=pdf.body,
            label_zpl=zpl.body if zpl.status < 400 else b"",
            tracking_url=data.get("tracking_url", ""),
        )

    def void(self, carrier_shipment_id: str) -> None:
        if not self._v2:
            v3.cancel(self, carrier_shipment_id)
            return
        answer = http_request(
            "POST", self._url(f"/parcels/{carrier_shipment_id}/cancel"), headers=self._auth()
        )
        if answer.status in (200, 202):
            return
        if answer.status in (400, 410):  # {"status": "failed", "message": "…"}
            try:
                message = (answer.json() or {}).get("message", "")
            except ValueError:
                message = ""
            raise CarrierError(
                _("The carrier refused to void this label: %(message)s") % {"message": message},
                reason="refused",
            )
        raise self._error(answer, address=False)

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        if not self._v2:  # v2 method ids mean nothing to v3, which takes shipping option codes
            raise NotSupported(_("Rates of Sendcloud's v3 shipping options are not read yet."))
        country = request.sender.country[:2].upper()
        answer = self._call(
            "GET",
            self._url(
                f"/shipping_methods?is_return=true&from_country={country}"
                f"&to_country={request.recipient.country[:2].upper()}"
            ),
        )
        rates = []
        for method in answer.get("shipping_methods") or []:
            for entry in method.get("countries") or []:
                if entry.get("iso_2", country) != country:
                    continue
                hours = entry.get("lead_time_hours")
                rates.append(
                    Rate(
                        service=method.get("name", ""),
                        carrier=method.get("carrier", ""),
                        amount=Decimal(str(entry.get("price") or "0")),
                        currency="EUR",
                        days=None if hours is None else max(1, round(hours / 24)),
                        rate_id=str(method.get("id", "")),
                    )
                )
        return rates

    def drop_off_points(self, *, country: str, postcode: str) -> list[DropOffPoint]:
        base = self.credentials.get("servicepoints_url") or DEFAULT_SERVICEPOINTS_URL
        from urllib.parse import urlencode

        query = urlencode({"country": country.upper(), "address": postcode, "radius": 5000})
        answer = self._call("GET", f"{base.rstrip('/')}/service-points?{query}")
        return [
            DropOffPoint(
                id=str(point.get("id")),
                name=point.get("name", ""),
                address=f"{point.get('street', '')} {point.get('house_number', '')}".strip(),
                postcode=point.get("postal_code", ""),
                city=point.get("city", ""),
                country=point.get("country", ""),
                distance_m=point.get("distance"),
            )
            for point in answer or []
        ]

    def book_pickup(self, request: PickupRequest) -> PickupResult:
        street, extra = split_street(request.address.lines)
        start, end = request.slot(usual=(dt.time(9), dt.time(17)))
        answer = self._call(
            "POST",
            self._v3_url("/pickups"),
            {
                "carrier_code": self.options.get("pickup_carrier", ""),
                "address": {
                    "name": request.address.name,
                    "address_line_1": street,
                    "address_line_2": extra,
                    "postal_code": request.address.postcode,
                    "city": request.address.city,
                    "country_code": request.address.country[:2].upper(),
                    "email": request.email,
                    "phone_number": request.phone,
                },
                "time_slots": [
                    {
                        "start_at": start.isoformat(),
                        "end_at": end.isoformat(),
                    }
                ],
                "items": [{"quantity": 1, "container_type": "parcel"}],
                "reference": request.reference,
            },
            address=True,
        )
        data = answer.get("data", answer)
        return PickupResult(confirmation=str(data.get("id", "")))

    # ---- tracking ------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        secret = self.credentials.get("webhook_key") or self.credentials.get("secret_key", "")
        received = header(headers, "Sendcloud-Signature")
        if not secret or not received:
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, received.strip().lower())

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        event = json.loads(body)
        if event.get("action") != "parcel_status_changed":
            return []
        occurred = _timestamp(event.get("carrier_status_change_timestamp")) or _timestamp(
            event.get("timestamp")
        )
        update = self._parcel_update(event.get("parcel") or {}, occurred)
        return [update] if update else []

    def poll(self, *, carrier_shipment_id: str, tracking_number: str) -> list[TrackingUpdate]:
        if not self._v2:
            return v3.poll(self, carrier_shipment_id)
        answer = self._call("GET", self._url(f"/parcels/{carrier_shipment_id}"))
        parcel = answer.get("parcel") or {}
        from django.utils.dateparse import parse_datetime

        occurred = parse_datetime(parcel.get("date_updated") or "")
        if occurred is not None and occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=dt.UTC)
        update = self._parcel_update(parcel, occurred)
        return [update] if update else []

    @staticmethod
    def _parcel_update(parcel: Mapping[str, Any], occurred: dt.datetime | None):
        status = parcel.get("status") or {}
        if not parcel.get("id") or occurred is None:
            return None
        status_id = status.get("id")
        return TrackingUpdate(
            # One status of one parcel at one carrier time: the same event delivered twice (or
            # polled after its webhook) has the same id.
            provider_event_id=f"{parcel['id']}:{status_id}:{int(occurred.timestamp())}",
            status=STATUSES.get(status_id, TrackingStatus.UNKNOWN),
            occurred_at=occurred,
            tracking_number=parcel.get("tracking_number", ""),
            carrier_shipment_id=str(parcel["id"]),
            carrier_status=str(status_id),
            message=(status.get("message") or "")[:500],
        )
