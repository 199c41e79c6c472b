"""EasyPost (https://www.easypost.com), written against its public REST API v2.

Documentation read (2026):
- Returns: https://docs.easypost.com/docs/shipments/returns — `POST /v2/shipments` with
  `is_return: true`; addresses as for the outbound parcel (EasyPost swaps them).
- Shipments, rates and buying: https://docs.easypost.com/docs/shipments — `rates[]`
  (`id`, `carrier`, `service`, `rate`, `currency`, `delivery_days`), `POST /v2/shipments/{id}/buy`
  with `{"rate": {"id": …}}`, `postage_label.label_pdf_url`, `tracking_code`, `tracker`;
  `GET /v2/shipments/{id}/label?file_format=ZPL` converts the label; `POST …/refund` voids it.
- Pickups: https://docs.easypost.com/docs/pickups — `POST /v2/pickups`, then `POST …/buy`.
- Trackers: https://docs.easypost.com/docs/trackers — `status` and each `tracking_details[]`
  entry's `status` (with `message`, `datetime`) are one of `unknown`, `pre_transit`,
  `in_transit`, `out_for_delivery`, `delivered`, `available_for_pickup`, `return_to_sender`,
  `failure`, `cancelled`, `error` (checked again in 2026 against the docs and the official
  client libraries' Tracker models).
- Events and webhooks: https://docs.easypost.com/docs/events, https://docs.easypost.com/guides/webhooks-guide
  — an `Event` (`id`, `description: "tracker.updated"`, `result`: the Tracker); HMAC validation
  with the webhook secret in the `X-Hmac-Signature` header, `hmac-sha256-hex=<hex digest>` of the
  raw body (as the official client libraries' `validate_webhook` compute it).
- Errors: https://docs.easypost.com/docs/errors — `{"error": {"code", "message", "errors"}}`.
Authentication is HTTP Basic with the API key as user name. Base URL: `credentials["base_url"]`
(tests point it at a local server), default `https://api.easypost.com/v2`.

EasyPost has no idempotency key (none is documented; a header would be ignored): our key only
goes in the shipment's `reference`, for people searching EasyPost's dashboard. What keeps a
retry from buying a second label is the order of the calls: the shipment is created (free), its
id handed to `request.made` (the service records it on the pending row) and only then bought. A
retry of the same attempt gets that id back as `request.resume_id`, reads the shipment and buys
it only if it has no label yet; a shipment can be bought once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from retour.logistics.choices import CarrierKind, TrackingStatus
from retour.logistics.documents import Address

from .base import (
    Carrier,
    CarrierError,
    HttpAnswer,
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

DEFAULT_BASE_URL = "https://api.easypost.com/v2"

STATUSES = {
    "pre_transit": TrackingStatus.PRE_TRANSIT,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "available_for_pickup": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "return_to_sender": TrackingStatus.RETURN_TO_SENDER,
    "failure": TrackingStatus.FAILURE,
    "cancelled": TrackingStatus.CANCELLED,
    # `error`: EasyPost could not track the code (not a delivery failure); `unknown`: no status.
    "error": TrackingStatus.UNKNOWN,
    "unknown": TrackingStatus.UNKNOWN,
}


def _address(address: Address, email: str = "", phone: str = "") -> dict[str, Any]:
    street1, street2 = split_street(address.lines)
    return {
        "name": address.name,
        "street1": street1,
        "street2": street2,
        "city": address.city,
        "zip": address.postcode,
        "country": address.country[:2].upper(),
        "email": email,
        "phone": phone,
    }


def _is_bought(shipment: Mapping[str, Any]) -> bool:
    label = shipment.get("postage_label") or {}
    return bool(
        shipment.get("tracking_code") and (label.get("label_pdf_url") or label.get("label_url"))
    )


class EasyPost(Carrier):
    kind = CarrierKind.EASYPOST

    # ---- HTTP ----------------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: Any = None, *, address: bool = False) -> Any:
        base = (self.credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        auth = {"Authorization": basic_auth(self.credentials.get("api_key", ""), "")}
        answer = http_request(method, base + path, payload=payload, headers=auth)
        if answer.status >= 400:
            raise self._error(answer, address=address)
        return answer.json()

    @staticmethod
    def _error(answer: HttpAnswer, *, address: bool) -> CarrierError:
        try:
            error = (answer.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        message = error.get("message") or f"HTTP {answer.status}"
        details = [
            item.get("message", "") if isinstance(item, dict) else str(item)
            for item in error.get("errors") or []
        ]
        if details:
            message = f"{message} ({'; '.join(d for d in details if d)})"
        code = str(error.get("code", ""))
        is_address = address and (code.startswith("ADDRESS") or answer.status == 422)
        carrier_error = error_for_status(answer.status, message, address=is_address)
        carrier_error.details["provider_code"] = code
        return carrier_error

    def _download(self, url: str) -> bytes:
        answer = http_request("GET", url)
        if answer.status >= 400:
            raise error_for_status(answer.status, _("the label file cannot be downloaded"))
        return answer.body

    # ---- shipments -----------------------------------------------------------------------------

    def _create(self, request: ShipmentRequest) -> dict[str, Any]:
        # EasyPost swaps the addresses of a return: `to_address` is the shopper (where the
        # outbound parcel went), `from_address` the warehouse.
        payload = {
            "shipment": {
                "is_return": True,
                "reference": request.idempotency_key,
                "to_address": _address(request.sender, request.sender_email, request.sender_phone),
                "from_address": _address(request.recipient),
                "parcel": {"weight": round(max(request.weight_grams, 1) / 28.3495, 1)},
                "options": {"label_format": "PDF", "print_custom_1": request.reference},
            }
        }
        return self._call("POST", "/shipments", payload, address=True)

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        return [self._rate(rate) for rate in self._create(request).get("rates") or []]

    @staticmethod
    def _rate(rate: Mapping[str, Any]) -> Rate:
        return Rate(
            service=rate.get("service", ""),
            carrier=rate.get("carrier", ""),
            amount=Decimal(str(rate.get("rate") or "0")),
            currency=rate.get("currency", ""),
            days=rate.get("delivery_days"),
            rate_id=rate.get("id", ""),
        )

    def create_return_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        if request.resume_id:
            shipment = self._call("GET", f"/shipments/{request.resume_id}")
        else:
            shipment = self._create(request)
            request.made(shipment["id"])
        if _is_bought(shipment):  # an earlier try bought it and lost the answer
            selected = shipment.get("selected_rate") or {}
            return self._result(shipment, self._rate(selected))
        chosen = self._choose_rate(shipment, request.service or self.options.get("service", ""))
        bought = self._call(
            "POST", f"/shipments/{shipment['id']}/buy", {"rate": {"id": chosen.rate_id}}
        )
        if not _is_bought(bought):
            raise CarrierError(_("The carrier sent no label."), reason="refused")
        return self._result(bought, chosen)

    def _choose_rate(self, shipment: Mapping[str, Any], wanted: str) -> Rate:
        rates = [self._rate(rate) for rate in shipment.get("rates") or []]
        if not rates:
            messages = [m.get("message", "") for m in shipment.get("messages") or []]
            raise CarrierError(
                _("No carrier offers a rate for this parcel: %(why)s")
                % {"why": "; ".join(messages) or "-"},
                reason="refused",
            )
        chosen = (
            next((r for r in rates if wanted in (r.rate_id, r.service)), None) if wanted else None
        )
        return chosen or min(rates, key=lambda r: r.amount)

    def _result(self, bought: Mapping[str, Any], rate: Rate) -> ShipmentResult:
        label = bought.get("postage_label") or {}
        tracker = bought.get("tracker") or {}
        return ShipmentResult(
            carrier_shipment_id=bought["id"],
            tracking_number=bought["tracking_code"],
            carrier_name=rate.carrier,
            service=rate.service,
            label_pdf=self._download(label.get("label_pdf_url") or label["label_url"]),
            label_zpl=self._zpl(bought["id"]),
            tracking_url=tracker.get("public_url", ""),
            rate=rate.amount,
            currency=rate.currency,
        )

    def _zpl(self, shipment_id: str) -> bytes:
        """The label converted to ZPL; a convenience: the PDF is the label."""
        try:
            converted = self._call("GET", f"/shipments/{shipment_id}/label?file_format=ZPL")
            zpl_url = (converted.get("postage_label") or {}).get("label_zpl_url")
            return self._download(zpl_url) if zpl_url else b""
        except CarrierError:
            return b""

    def void(self, carrier_shipment_id: str) -> None:
        answer = self._call("POST", f"/shipments/{carrier_shipment_id}/refund")
        if answer.get("refund_status") in ("rejected", "not_applicable"):
            raise CarrierError(
                _("The carrier refused to void this label (%(status)s).")
                % {"status": answer.get("refund_status")},
                reason="refused",
            )

    def book_pickup(self, request: PickupRequest) -> PickupResult:
        start, end = request.slot(usual=(dt.time(8), dt.time(18)))
        pickup = self._call(
            "POST",
            "/pickups",
            {
                "pickup": {
                    "reference": request.reference,
                    "address": _address(request.address, request.email, request.phone),
                    "shipment": {"id": request.carrier_shipment_id},
                    "min_datetime": start.isoformat(),
                    "max_datetime": end.isoformat(),
                    "is_account_address": False,
                    "instructions": request.reference,
                }
            },
            address=True,
        )
        rates = pickup.get("pickup_rates") or []
        if not rates:
            raise CarrierError(_("No pickup is available on that day."), reason="refused")
        cheapest = min(rates, key=lambda r: Decimal(str(r.get("rate") or "0")))
        bought = self._call(
            "POST",
            f"/pickups/{pickup['id']}/buy",
            {"carrier": cheapest.get("carrier"), "service": cheapest.get("service")},
        )
        return PickupResult(confirmation=bought.get("confirmation") or pickup["id"])

    # ---- tracking ------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        secret = self.credentials.get("webhook_secret", "")
        received = header(headers, "X-Hmac-Signature")
        if not secret or not received:
            return False
        # The client libraries normalise the secret to NFKD before using it as the key.
        key = unicodedata.normalize("NFKD", secret).encode()
        expected = "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, received)

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        import json

        event = json.loads(body)
        if event.get("description") not in ("tracker.updated", "tracker.created"):
            return []
        return self._tracker_updates(event.get("result") or {})

    def poll(self, *, carrier_shipment_id: str, tracking_number: str) -> list[TrackingUpdate]:
        shipment = self._call("GET", f"/shipments/{carrier_shipment_id}")
        return self._tracker_updates(shipment.get("tracker") or {})

    @staticmethod
    def _tracker_updates(tracker: Mapping[str, Any]) -> list[TrackingUpdate]:
        """Each entry of the tracker's history is an event of its own: the id is stable whether
        it comes by webhook or by polling, and however many times."""
        updates = []
        for detail in tracker.get("tracking_details") or []:
            occurred = parse_datetime(detail.get("datetime") or "")
            if occurred is None:
                continue
            if occurred.tzinfo is None:
                occurred = occurred.replace(tzinfo=dt.UTC)
            status = detail.get("status", "")
            updates.append(
                TrackingUpdate(
                    provider_event_id=f"{tracker.get('id')}:{detail.get('datetime')}:{status}",
                    status=STATUSES.get(status, TrackingStatus.UNKNOWN),
                    occurred_at=occurred,
                    tracking_number=tracker.get("tracking_code", ""),
                    carrier_shipment_id=tracker.get("shipment_id") or "",
                    carrier_status=status,
                    message=(detail.get("message") or "")[:500],
                )
            )
        return updates
