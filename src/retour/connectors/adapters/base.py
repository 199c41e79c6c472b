"""What every platform connector does, and the facts it is given.

A connector verifies and reads the platform's webhooks, reads orders (one, or a page of history
from a cursor), and turns a change of ours (a refund, a restock, store credit) into the request
the platform documents, then sends it. It holds no database state: `services` hands it the
connection's address, credentials and options, and the facts to send, and keeps what it answers.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings

from retour.commerce.inputs import OrderIn


class ConnectorError(Exception):
    """The platform refused or could not be reached. `retryable`: trying again later, with the
    same idempotency key, is safe and may succeed; `status`: the HTTP status it answered."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status


class InvalidSignature(ConnectorError):
    """A webhook whose signature does not match the shared secret: refused, never recorded."""


class Skipped(ConnectorError):
    """The platform has nothing to take this write-back (WooCommerce core has no store credit):
    kept as skipped with the reason, shown on the connection page, never sent nor retried."""


@dataclass(frozen=True)
class Notice:
    """What a webhook is about. `order` is set when the body is the whole order (WooCommerce);
    otherwise the connector reads the order from the API (`fetch_order`)."""

    key: str
    topic: str
    resource_id: str
    updated_at: datetime | None
    order: PlatformOrder | None = None


@dataclass(frozen=True)
class PlatformOrder:
    external_id: str
    data: OrderIn
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    orders: list[PlatformOrder]
    cursor: str
    done: bool


@dataclass(frozen=True)
class Export:
    """An export of the whole order history the platform prepares in the background (Shopify's
    bulk operation). `started_at`: when the platform began it (changes after that are read by
    the paged backfill); `url`: where its file is, once `completed`."""

    id: str
    status: str
    started_at: str
    url: str | None = None
    error: str = ""

    @property
    def running(self) -> bool:
        return self.status in ("CREATED", "RUNNING", "CANCELING")

    @property
    def completed(self) -> bool:
        return self.status == "COMPLETED"


@dataclass(frozen=True)
class ExportChunk:
    """Orders read from an export's file, each with the byte offset just after it (where a
    stopped import resumes once that order is written); `done` when the file's end was read."""

    orders: list[tuple[PlatformOrder, int]]
    done: bool


class Exporter(Protocol):
    """A connector whose platform exports the order history in bulk (Shopify): the first
    backfill goes that way, the paged backfill then reads what changed since the export began."""

    def start_export(self) -> Export: ...
    def export_status(self, export_id: str) -> Export: ...
    def export_orders(self, url: str, *, offset: int, limit: int) -> ExportChunk: ...
    def cursor_since(self, started_at: str) -> str: ...


@dataclass(frozen=True)
class RefundLineFacts:
    line_external_id: str
    quantity: int
    amount: Decimal
    restocked: int  # units of it already back on the shelf in Retour


@dataclass(frozen=True)
class PaymentPartFacts:
    payment_reference: str  # the platform's transaction or payment id
    gateway: str
    amount: Decimal


@dataclass(frozen=True)
class RefundFacts:
    order_external_id: str
    currency: str
    reference: str
    rma: str
    lines: list[RefundLineFacts]
    shipping: Decimal
    # The money the platform itself must pay back, by payment: only when the store refunds
    # through its platform (refunds gateway `platform`). Empty when Retour's gateway or finance
    # already paid it: the platform is then told of the lines, restock and shipping only.
    amount: Decimal
    parts: list[PaymentPartFacts]
    warehouse_code: str = ""


@dataclass(frozen=True)
class RestockFacts:
    sku: str
    variant_external_id: str
    warehouse_code: str
    delta: int
    reference: str


@dataclass(frozen=True)
class CreditFacts:
    customer_external_id: str
    email: str
    amount: Decimal
    currency: str
    reference: str


@dataclass(frozen=True)
class Sent:
    remote_id: str
    answer: Mapping[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    platform: str
    receives_webhooks: bool
    credential_names: tuple[str, ...]  # what `Connection.credentials` must hold
    restocks_with_refund: bool

    def is_ping(self, headers: Mapping[str, str], body: bytes) -> bool: ...
    def verify(self, headers: Mapping[str, str], body: bytes) -> None: ...
    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice: ...
    def fetch_order(self, resource_id: str) -> PlatformOrder | None: ...
    def backfill(self, cursor: str) -> Page: ...
    def refund_request(self, facts: RefundFacts) -> dict[str, Any]: ...
    def restock_request(self, facts: RestockFacts) -> dict[str, Any]: ...
    def credit_request(self, facts: CreditFacts) -> dict[str, Any]: ...
    def send(self, request: Mapping[str, Any], *, idempotency_key: str) -> Sent: ...


def is_loopback(host: str) -> bool:
    """Is `host` (a name or an IP address, without brackets) this machine?"""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_url(url: str) -> bool:
    """May credentials be sent to `url`? Over HTTPS, or to a loopback address (a shop on this
    machine, for tests): never in clear over a network."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or is_loopback(parts.hostname or "")


def send_json(
    method: str,
    url: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """One JSON request; the parsed answer. 429, 5xx and network failures are retryable
    `ConnectorError`s; other 4xx are not (the request is wrong: retrying will not help)."""
    data = None if body is None else json.dumps(body).encode()
    raw = send_bytes(method, url, data=data, content_type="application/json", headers=headers)
    return json.loads(raw) if raw.strip() else {}


def send_bytes(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """One request with a body already encoded (JSON, or XML for PrestaShop's webservice); the
    raw answer. Failures as `send_json` says."""
    return send_request(method, url, data=data, content_type=content_type, headers=headers)[0]


def send_request(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> tuple[bytes, Mapping[str, str]]:
    """One request; the raw answer and its headers (WooCommerce pages by `X-WP-TotalPages`)."""
    if not url.startswith(("http://", "https://")):
        raise ConnectorError(f"not an http(s) address: {url}")
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", "Retour")
    if data is not None:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    timeout = settings.RETOUR_CONNECTORS["HTTP_TIMEOUT"]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode(errors="replace")
        raise ConnectorError(
            f"{method} {url} answered {error.code}: {detail}",
            retryable=error.code == 429 or error.code >= 500,
            status=error.code,
        ) from error
    except (TimeoutError, urllib.error.URLError) as error:
        raise ConnectorError(f"{method} {url} failed: {error}", retryable=True) from error


def stream_lines(url: str, *, offset: int = 0) -> Iterator[bytes]:
    """The lines of a file from byte `offset` on, read as they arrive (a bulk export's JSONL may
    be gigabytes). No credentials are sent: the address is signed by the platform. Asks for the
    rest with `Range` and skips to `offset` itself when the server answers the whole file."""
    if not secure_url(url):
        raise ConnectorError(f"not an https address: {url}")
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - checked above
    request.add_header("User-Agent", "Retour")
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    timeout = settings.RETOUR_CONNECTORS["HTTP_TIMEOUT"]
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            skip = offset if offset and response.status != 206 else 0
            while skip > 0:
                data = response.read(min(skip, 1 << 20))
                if not data:
                    break
                skip -= len(data)
            yield from response
    except urllib.error.HTTPError as error:
        raise ConnectorError(
            f"GET {url.split('?')[0]} answered {error.code}",
            retryable=error.code == 429 or error.code >= 500,
            status=error.code,
        ) from error
    except (TimeoutError, urllib.error.URLError) as error:
        raise ConnectorError(f"GET {url.split('?')[0]} failed: {error}", retryable=True) from error
