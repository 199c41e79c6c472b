"""The carrier adapter interface: what Retour asks of any carrier, and the plain values exchanged.

An adapter is built from a `CarrierAccount`'s kind, credentials and options (`get_adapter`). Its
methods make the network calls and never touch the database; `retour.logistics.services` calls
them outside any transaction and records the outcome.

To add a carrier: a module here with a `Carrier` subclass, a `CarrierKind` value, an entry in
`ADAPTERS` (`adapters/__init__.py`), and tests against a local HTTP server answering with the
provider's documented payloads, including each error (docs/logistics.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from retour.core.errors import DomainError
from retour.logistics.documents import Address


class CarrierError(DomainError):
    """The carrier refused or did not answer. `reason` is one of `auth` (bad credentials),
    `address` (invalid address), `refused` (other 4xx), `duplicate` (the carrier already holds
    something under our idempotency key that we cannot find again), `timeout`, `unavailable`
    (5xx or network); `retryable` says whether trying again later may work."""

    code = "carrier_error"
    http_status = 502

    def __init__(self, message: str, *, reason: str, retryable: bool = False, **details: Any):
        super().__init__(message, reason=reason, retryable=retryable, **details)
        self.reason = reason
        self.retryable = retryable


class NotSupported(CarrierError):
    code = "not_supported"
    http_status = 422

    def __init__(self, message: str):
        super().__init__(message, reason="not_supported")


@dataclass(frozen=True)
class ShipmentRequest:
    idempotency_key: str
    reference: str  # the RMA
    sender: Address  # the shopper
    recipient: Address  # the warehouse
    item_count: int
    weight_grams: int
    sender_email: str = ""
    sender_phone: str = ""
    service: str = ""  # a carrier service or rate id chosen by routing; empty: the default
    attempt: int = 1  # 1 for the return's first label, 2 after one was voided…
    tracking_url: str = ""  # Retour's tracking page, printed on own labels
    created: dt.date = field(default_factory=dt.date.today)
    language: str = "en"
    # The carrier's id of what an interrupted try of this attempt already made there (a shipment
    # not bought yet, a return not announced yet): the adapter continues it instead of making
    # another, so a retry never pays for two labels.
    resume_id: str = ""
    # Called with the carrier's id as soon as the carrier has made something, before the slow or
    # paying steps: the service records it, so the next try can resume it (`resume_id`).
    checkpoint: Callable[[str], None] | None = field(default=None, compare=False, repr=False)

    def made(self, carrier_id: str) -> None:
        if self.checkpoint is not None:
            self.checkpoint(carrier_id)


@dataclass(frozen=True)
class ShipmentResult:
    carrier_shipment_id: str
    tracking_number: str
    carrier_name: str
    service: str
    label_pdf: bytes
    label_zpl: bytes = b""
    tracking_url: str = ""
    qr_code_url: str = ""
    rate: Decimal = Decimal("0")
    currency: str = ""


@dataclass(frozen=True)
class Rate:
    service: str
    carrier: str
    amount: Decimal
    currency: str
    days: int | None = None
    rate_id: str = ""


@dataclass(frozen=True)
class DropOffPoint:
    id: str
    name: str
    address: str
    postcode: str
    city: str
    country: str
    distance_m: int | None = None


@dataclass(frozen=True)
class PickupRequest:
    carrier_shipment_id: str
    address: Address
    date: dt.date
    reference: str
    phone: str = ""
    email: str = ""
    # When the driver may come: local times on `date` in `timezone` (the store's); without
    # them, the carrier's usual window.
    start: dt.time | None = None
    end: dt.time | None = None
    timezone: str = "UTC"

    def slot(self, usual: tuple[dt.time, dt.time]) -> tuple[dt.datetime, dt.datetime]:
        """The window as aware datetimes, for the carriers' APIs."""
        zone = ZoneInfo(self.timezone)
        return (
            dt.datetime.combine(self.date, self.start or usual[0], tzinfo=zone),
            dt.datetime.combine(self.date, self.end or usual[1], tzinfo=zone),
        )


@dataclass(frozen=True)
class PickupResult:
    confirmation: str


@dataclass(frozen=True)
class TrackingUpdate:
    """One tracking event, normalised. `provider_event_id` is stable across deliveries of the
    same event (webhook retries, polling the same history again)."""

    provider_event_id: str
    status: str  # a `TrackingStatus` value
    occurred_at: dt.datetime
    tracking_number: str = ""
    carrier_shipment_id: str = ""
    carrier_status: str = ""
    message: str = ""


class Carrier:
    """Base class: every operation a carrier may offer; those it does not raise `NotSupported`."""

    kind: ClassVar[str]
    can_void: ClassVar[bool] = True

    def __init__(self, credentials: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.credentials = dict(credentials)
        self.options = dict(options)

    def create_return_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        raise NotSupported(_("This carrier cannot create return labels."))

    def void(self, carrier_shipment_id: str) -> None:
        raise NotSupported(_("This carrier cannot void labels."))

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        raise NotSupported(_("This carrier gives no rates."))

    def book_pickup(self, request: PickupRequest) -> PickupResult:
        raise NotSupported(_("This carrier does not collect parcels."))

    def drop_off_points(self, *, country: str, postcode: str) -> list[DropOffPoint]:
        raise NotSupported(_("This carrier has no drop-off points to list."))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return False

    def parse_webhook(self, body: bytes) -> list[TrackingUpdate]:
        raise NotSupported(_("This carrier sends no tracking events."))

    def poll(self, *, carrier_shipment_id: str, tracking_number: str) -> list[TrackingUpdate]:
        raise NotSupported(_("This carrier cannot be asked for tracking."))


# ---- HTTP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def http_request(
    method: str,
    url: str,
    *,
    payload: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> HttpAnswer:
    """One HTTP call; network failures and timeouts become `CarrierError`s, HTTP errors are
    returned for the adapter to explain (each provider words its errors differently)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP URL: {url}")
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", "Retour")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    timeout = timeout or settings.RETOUR_LOGISTICS["HTTP_TIMEOUT"]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpAnswer(response.status, response.read(), response.headers.get_content_type())
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read(), error.headers.get_content_type())
    except TimeoutError as error:
        raise CarrierError(
            _("The carrier did not answer in time."), reason="timeout", retryable=True
        ) from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise CarrierError(
                _("The carrier did not answer in time."), reason="timeout", retryable=True
            ) from error
        raise CarrierError(
            _("The carrier cannot be reached."), reason="unavailable", retryable=True
        ) from error


def error_for_status(status: int, message: str, *, address: bool = False) -> CarrierError:
    """The `CarrierError` of an HTTP error status, with the provider's own message."""
    if status in (401, 403):
        return CarrierError(
            _("The carrier refused the account's credentials: %(message)s") % {"message": message},
            reason="auth",
        )
    if status >= 500 or status == 429:
        return CarrierError(
            _("The carrier is unavailable (HTTP %(status)d); try again later.")
            % {"status": status},
            reason="unavailable",
            retryable=True,
        )
    if address:
        return CarrierError(
            _("The carrier refused an address: %(message)s") % {"message": message},
            reason="address",
        )
    return CarrierError(
        _("The carrier refused the request: %(message)s") % {"message": message},
        reason="refused",
    )


def header(headers: Mapping[str, str], name: str) -> str:
    """A request header by name, in any case (HTTP header names are case-insensitive; Django's
    `request.headers` already is, a plain dict is not)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def split_street(lines: Sequence[str]) -> tuple[str, str]:
    street = [line for line in lines if line.strip()]
    return (street[0] if street else ""), ", ".join(street[1:])
