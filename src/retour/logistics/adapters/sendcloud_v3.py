"""Sendcloud's v3 Returns API, and the reading of Sendcloud's error bodies. The return labels
of accounts created after 13 April 2026 (whose v2 "create a parcel" is closed) are made here
unless the account's options say `"api_version": "v2"` (older accounts: `sendcloud.py`).

Documentation read (2026; the OpenAPI document of https://sendcloud.dev/api/v3/returns):
- Create a return: https://sendcloud.dev/api/v3/returns/create-a-return — `POST /returns`
  (asynchronous: the carrier is asked afterwards; Sendcloud recommends it over
  `/returns/announce-synchronously`, "primarily for debugging") with `from_address` (the
  shopper) and `to_address` (our warehouse), each `name`, `address_line_1`, `address_line_2`,
  `postal_code`, `city`, `country_code`, `email`, `phone_number`; `ship_with` (`type:
  "shipping_option_code"`, `shipping_option_code`), `weight` (`value`, `unit`), `collo_count`,
  `order_number`, `external_reference` ("unique reference for this return"); answers 201
  `{"return_id", "parcel_id", "multi_collo_ids"}`.
- Retrieve a return: https://sendcloud.dev/api/v3/returns/retrieve-a-return — `GET
  /returns/{id}`: `tracking_number`, `tracking_url` and `label` (`label_printer`: the A6 PDF) stay
  null until the carrier has the parcel ("might not be announced yet"); `errors[]` holds the
  carrier's announcement errors; `label_cost` (`value`, `currency`); `status_history[]`
  (`carrier_update_timestamp`, `parcel_status_history_id`, `parent_status`, `carrier_code`,
  `carrier_message`).
- Statuses: the `parent_parcel_status` values of https://sendcloud.dev/api/v3/returns/retrieve-a-
  list-of-returns (`ready-to-send`, `announced`, `to-sorting`, … `address-invalid`), in
  `PARENT_STATUSES`; an unknown one is UNKNOWN.
- Labels: https://sendcloud.dev/api/v3/parcel-documents/retrieve-a-parcel-document — `GET
  /parcels/{parcel_id}/documents/label` with `Accept: application/pdf` (`paper_size=a6`) or
  `application/zpl`.
- Cancel: https://sendcloud.dev/api/v3/returns/request-cancellation-of-a-return — `PATCH
  /returns/{id}/cancel`: 202 `{"message"}`; 409 `{"errors": [{"field", "code", "message":
  "Return is not cancellable."}]}`.
- Errors: 400 `{"errors": [{"field", "message", "code"}]}`, JSON:API objects (`status`, `code`,
  `title`, `detail`, `source.pointer`) or `{"error": {"code", "request", "message"}}`; a reused
  external reference answers 400 "External reference has already been used in another return."
- Webhooks are those of v2 (`parcel_status_changed`, `Sendcloud-Signature`): `sendcloud.py`.

The carrier shipment id is `"<return id>/<parcel id>"`: cancelling and polling need the return,
the label and the webhooks the parcel. After `POST /returns` the ids go to `request.made`, so a
retry (the carrier slow to announce, a download cut off) continues the same return.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from retour.logistics.choices import TrackingStatus

from .base import (
    CarrierError,
    HttpAnswer,
    ShipmentRequest,
    ShipmentResult,
    TrackingUpdate,
    http_request,
    split_street,
)

if TYPE_CHECKING:
    from retour.logistics.documents import Address

    from .sendcloud import Sendcloud

_T = TrackingStatus
PARENT_STATUSES = {
    **dict.fromkeys(("ready-to-send", "no-label", "announcing", "announced"), _T.PRE_TRANSIT),
    "announced-uncollected": _T.PRE_TRANSIT,
    **dict.fromkeys(
        (
            "to-sorting",
            "delayed",
            "sorted",
            "unsorted",
            "unsorted2",
            "sorting",
            "shipment-on-route",
            "picked-up-by-driver",
            "at-customs",
            "at-sorting-centre",
            "delivery-method-changed",
            "delivery-date-changed",
            "delivery-address-changed",
        ),
        _T.IN_TRANSIT,
    ),
    "driver-on-route": _T.OUT_FOR_DELIVERY,
    "awaiting-customer-pickup": _T.AVAILABLE_FOR_PICKUP,
    **dict.fromkeys(("delivered", "delivery-forced", "collected-by-customer"), _T.DELIVERED),
    **dict.fromkeys(
        ("delivery-failed", "undeliverable", "exception", "address-invalid"), _T.FAILURE
    ),
    **dict.fromkeys(("refused-by-recipient", "returned-to-sender"), _T.RETURN_TO_SENDER),
    **dict.fromkeys(
        ("cancelling-upstream", "cancelling", "cancelled", "cancelled-upstream"), _T.CANCELLED
    ),
    # Not scans: the parcel never left (`announcement-failed`, `collect-error`): never applied.
}

ANNOUNCE_TRIES = 3
DUPLICATE_WORDS = "external reference has already been used"
ADDRESS_WORDS = ("address", "postal", "zip", "country", "city", "house_number")


# ---- errors ------------------------------------------------------------------------------------


def describe_errors(errors: list[Any]) -> tuple[str, bool]:
    """The message of an `errors` list (`{"field", "message", "code"}` or JSON:API `{"detail",
    "source": {"pointer"}}`), and whether it is about an address."""
    parts, is_address = [], False
    for item in errors:
        if not isinstance(item, dict):
            parts.append(str(item))
            continue
        where = item.get("field") or (item.get("source") or {}).get("pointer") or ""
        text = item.get("message") or item.get("detail") or item.get("title") or ""
        parts.append(f"{where}: {text}" if where else text)
        is_address = is_address or any(w in f"{where} {text}".lower() for w in ADDRESS_WORDS)
    return "; ".join(p for p in parts if p), is_address


def describe_answer(answer: HttpAnswer) -> tuple[str, bool]:
    """The message of an error answer in any of Sendcloud's documented shapes, and whether it is
    about an address."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        message, is_address = describe_errors(body["errors"])
    elif isinstance(body, dict):
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        message = error.get("message") or body.get("message") or ""
        is_address = any(word in message.lower() for word in ADDRESS_WORDS)
    else:
        message, is_address = "", False
    return message or f"HTTP {answer.status}", is_address


# ---- returns -----------------------------------------------------------------------------------


def _address(address: Address, email: str = "", phone: str = "") -> dict[str, Any]:
    line1, line2 = split_street(address.lines)
    return {
        "name": address.name,
        "address_line_1": line1,
        "address_line_2": line2,
        "postal_code": address.postcode,
        "city": address.city,
        "country_code": address.country[:2].upper(),
        "email": email,
        "phone_number": phone,
    }


def _ids(carrier_shipment_id: str) -> tuple[str, str]:
    return_id, _, parcel_id = carrier_shipment_id.partition("/")
    return return_id, parcel_id


def create(adapter: Sendcloud, request: ShipmentRequest) -> ShipmentResult:
    if request.resume_id:
        return_id, parcel_id = _ids(request.resume_id)
    else:
        return_id, parcel_id = _create(adapter, request)
        request.made(f"{return_id}/{parcel_id}")
    details = _announced(adapter, return_id)
    cost = details.get("label_cost") or {}
    return ShipmentResult(
        carrier_shipment_id=f"{return_id}/{parcel_id}",
        tracking_number=details["tracking_number"],
        carrier_name=(details.get("shipping_option") or {}).get("code", "").split(":")[0],
        service=(details.get("shipping_option") or {}).get("code") or "",
        label_pdf=_document(adapter, parcel_id, "application/pdf", "?paper_size=a6"),
        label_zpl=_zpl(adapter, parcel_id),
        tracking_url=details.get("tracking_url") or "",
        rate=_decimal(cost.get("value")),
        currency=cost.get("currency") or "",
    )


def _create(adapter: Sendcloud, request: ShipmentRequest) -> tuple[str, str]:
    code = request.service or adapter.options.get("shipping_option_code", "")
    payload: dict[str, Any] = {
        "from_address": _address(request.sender, request.sender_email, request.sender_phone),
        "to_address": _address(request.recipient),
        "weight": {"value": max(request.weight_grams, 1), "unit": "g"},
        "collo_count": 1,
        "order_number": request.reference,
        "external_reference": request.idempotency_key,
        "send_tracking_emails": False,
    }
    if code:
        payload["ship_with"] = {"type": "shipping_option_code", "shipping_option_code": code}
    try:
        created = adapter._call("POST", adapter._v3_url("/returns"), payload, address=True)
    except CarrierError as error:
        if DUPLICATE_WORDS in error.message.lower():
            raise _duplicate(request) from error
        raise
    if not created.get("return_id") or not created.get("parcel_id"):
        raise CarrierError(_("The carrier sent no label."), reason="refused")
    return str(created["return_id"]), str(created["parcel_id"])


def _duplicate(request: ShipmentRequest) -> CarrierError:
    return CarrierError(
        _(
            "Sendcloud already holds a return under the reference %(key)s: an earlier try was "
            "cut off after Sendcloud had made it, and its API cannot find it again. Cancel the "
            "return of %(rma)s in the Sendcloud panel; the next try makes a new label."
        )
        % {"key": request.idempotency_key, "rma": request.reference},
        reason="duplicate",
    )


def _announced(adapter: Sendcloud, return_id: str) -> dict[str, Any]:
    """The return once the carrier has it (tracking number and label). Sendcloud announces it
    in the background: asked a few times, a second apart; still not announced, the try ends
    with a retryable error and the next one resumes the same return."""
    delay = float(adapter.options.get("announce_delay", 1.0))
    for attempt in range(ANNOUNCE_TRIES):
        details = adapter._call("GET", adapter._v3_url(f"/returns/{return_id}"))
        if details.get("errors"):
            raise _announcement_error(details["errors"])
        if details.get("tracking_number") and (details.get("label") or {}).get("label_printer"):
            return details
        if attempt < ANNOUNCE_TRIES - 1:
            time.sleep(delay)
    raise CarrierError(
        _(
            "The carrier has not accepted the return yet; "
            "its label will be fetched at the next try."
        ),
        reason="timeout",
        retryable=True,
    )


def _announcement_error(errors: list[Any]) -> CarrierError:
    message, is_address = describe_errors(errors)
    reason = "address" if is_address else "refused"
    return CarrierError(
        _("The carrier refused the return: %(message)s") % {"message": message}, reason=reason
    )


def _document(adapter: Sendcloud, parcel_id: str, accept: str, query: str = "") -> bytes:
    answer = http_request(
        "GET",
        adapter._v3_url(f"/parcels/{parcel_id}/documents/label{query}"),
        headers={**adapter._auth(), "Accept": accept},
    )
    if answer.status >= 400:
        raise adapter._error(answer, address=False)
    return answer.body


def _zpl(adapter: Sendcloud, parcel_id: str) -> bytes:
    """ZPL is a convenience (the PDF is the label), and carriers that print PDF only refuse it."""
    try:
        return _document(adapter, parcel_id, "application/zpl")
    except CarrierError:
        return b""


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def cancel(adapter: Sendcloud, carrier_shipment_id: str) -> None:
    return_id, _parcel = _ids(carrier_shipment_id)
    answer = http_request(
        "PATCH", adapter._v3_url(f"/returns/{return_id}/cancel"), headers=adapter._auth()
    )
    if answer.status in (200, 202):
        return
    if answer.status in (404, 409):
        raise CarrierError(
            _("The carrier refused to void this label: %(message)s")
            % {"message": describe_answer(answer)[0]},
            reason="refused",
        )
    raise adapter._error(answer, address=False)


def poll(adapter: Sendcloud, carrier_shipment_id: str) -> list[TrackingUpdate]:
    return_id, parcel_id = _ids(carrier_shipment_id)
    details = adapter._call("GET", adapter._v3_url(f"/returns/{return_id}"))
    updates = []
    for entry in details.get("status_history") or []:
        occurred = parse_datetime(entry.get("carrier_update_timestamp") or "")
        if occurred is None:
            continue
        slug = str(entry.get("parent_status") or "").strip().lower().replace(" ", "-")
        updates.append(
            TrackingUpdate(
                provider_event_id=f"{parcel_id}:history:{entry.get('parcel_status_history_id')}",
                status=PARENT_STATUSES.get(slug, TrackingStatus.UNKNOWN),
                occurred_at=occurred,
                tracking_number=details.get("tracking_number") or "",
                carrier_shipment_id=carrier_shipment_id,
                carrier_status=slug,
                message=(entry.get("carrier_message") or "")[:500],
            )
        )
    return updates
