"""WooCommerce: order webhooks signed with `X-WC-Webhook-Signature`, orders read and refunds
written through the REST API v3 (`/wp-json/wc/v3/`).

- Authentication: the consumer key and secret as HTTP basic credentials, over HTTPS only
  (WooCommerce takes basic credentials only over HTTPS; a loopback address is allowed for tests).
- A webhook (`order.created`, `order.updated`, `order.restored`; `order.deleted` is recorded and
  ignored) carries the whole order: it is verified (base64 HMAC-SHA256 of the raw body with the
  webhook's secret), keyed by `X-WC-Webhook-Delivery-ID` and mapped from its body, ordered by
  `date_modified_gmt`. The ping WooCommerce sends when a webhook is saved (a `webhook_id=<id>`
  form body, unsigned) is answered and not recorded.
- Backfill: `GET orders?orderby=modified&order=asc`, keyed by the last `date_modified_gmt` read
  (`modified_after`, WooCommerce ≥ 5.8) and paged within it (`page`, `X-WP-TotalPages`), so a
  stopped backfill resumes exactly and an order changed meanwhile is read again later, none
  skipped.
- Write-back: `POST orders/<id>/refunds` with the lines (`refund_total` and `refund_tax` per tax
  rate, split at each line's own rates), the shipping, `api_restock` for the units Retour put back
  on the shelf (units not restocked go in a second refund without restock), and `api_refund`
  true only when the store refunds through its platform (ADR 0008). WooCommerce takes no
  idempotency key: each refund carries ours in its reason and its meta data, and the order's
  refunds are read before each try (every page of them, `page` up to `X-WP-TotalPages`), so a
  retry after a lost answer finds the refund instead of making (and paying) another.
  WooCommerce core has no store credit: that write-back is skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils.html import strip_tags
from django.utils.translation import gettext_noop

from retour.commerce.inputs import OrderIn
from retour.connectors.adapters.base import (
    ConnectorError,
    CreditFacts,
    InvalidSignature,
    Notice,
    Page,
    PlatformOrder,
    RefundFacts,
    RestockFacts,
    Sent,
    Skipped,
    secure_url,
    send_request,
)
from retour.core.money import quantize

ZERO = Decimal("0")
API = "/wp-json/wc/v3"
MAX_PAGE = 100  # the REST API's largest `per_page`
GMT_FORMAT = "%Y-%m-%dT%H:%M:%S"
ORDER_TOPICS = {"order.created", "order.updated", "order.restored"}
KEY_META = "_retour_idempotency_key"
PING = re.compile(rb"webhook_id=\d+")
# The policy's default transit allowance: WooCommerce core records no delivery, so a completed
# order counts as delivered this many days after it was completed (option `transit_days`).
TRANSIT_DAYS = 3
TRACKING_META = "_wc_shipment_tracking_items"  # the Shipment Tracking extension's meta
# Why a write-back is skipped: kept in English, translated where the connection page shows it.
NO_STORE_CREDIT = gettext_noop(
    "WooCommerce core has no store credit: the credit is kept in Retour only (no gift card or "
    "store credit extension is written to)."
)
NO_RESTOCK_ALONE = gettext_noop(
    "WooCommerce restocks returned units with their refund only: this unit was not part of a "
    "refund sent to it. Adjust its stock in WooCommerce."
)


def sign(body: bytes, secret: str) -> str:
    """The `X-WC-Webhook-Signature` of a body: base64 of its HMAC-SHA256 with the secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _d(value: Any) -> Decimal:
    return Decimal(str(value or "0"))


def _gmt(value: Any) -> datetime | None:
    """WooCommerce's `*_gmt` dates carry no zone: they are UTC."""
    if not value:
        return None
    return datetime.strptime(str(value)[:19], GMT_FORMAT).replace(tzinfo=UTC)


def _options(meta: list[Mapping[str, Any]]) -> dict[str, str]:
    """A line's visible meta data (variation attributes, add-ons) as its options."""
    options = {}
    for item in meta:
        key = str(item.get("display_key") or item.get("key") or "")
        value = item.get("display_value", item.get("value"))
        if key and not key.startswith("_") and isinstance(value, str | int | float):
            options[html.unescape(key)[:60]] = html.unescape(strip_tags(str(value)))[:200]
    return options


class WooCommerceConnector:
    platform = "woocommerce"
    receives_webhooks = True
    credential_names = ("consumer_key", "consumer_secret", "webhook_secret")
    restocks_with_refund = True  # `api_restock` on the refund puts its units back in stock

    def __init__(
        self, *, base_url: str, credentials: Mapping[str, Any], options: Mapping[str, Any]
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.options = options
        self.page_size = min(int(options.get("page_size", MAX_PAGE)), MAX_PAGE)
        self.transit = timedelta(days=int(options.get("transit_days", TRANSIT_DAYS)))

    # ---- inbound -------------------------------------------------------------------------------

    def is_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The unsigned `webhook_id=<id>` WooCommerce posts when a webhook is saved."""
        return "x-wc-webhook-signature" not in headers and bool(PING.fullmatch(body.strip()))

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        given = headers.get("x-wc-webhook-signature", "")
        expected = sign(body, self.credentials.get("webhook_secret", ""))
        if not given or not hmac.compare_digest(given, expected):
            raise InvalidSignature("X-WC-Webhook-Signature does not match the body")

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        topic = headers.get("x-wc-webhook-topic", "")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None  # recorded as sent, and ignored
        key = headers.get("x-wc-webhook-delivery-id") or hashlib.sha256(body).hexdigest()
        if (
            topic not in ORDER_TOPICS
            or not isinstance(payload, dict)
            or "line_items" not in payload
        ):
            return Notice(key=key, topic=topic, resource_id="", updated_at=None)
        try:
            order = self.map_order(payload)
        except (ConnectorError, ValueError, KeyError, TypeError):
            order = None  # read again from the API when applied, where its error is kept
        return Notice(
            key=key,
            topic=topic,
            resource_id=str(payload["id"]),
            updated_at=_gmt(payload.get("date_modified_gmt")),
            order=order,
        )

    def fetch_order(self, resource_id: str) -> PlatformOrder | None:
        try:
            payload, _headers = self._call("GET", f"orders/{int(resource_id)}")
        except ConnectorError as error:
            if error.status == 404:  # deleted since: nothing to apply
                return None
            raise
        return self._mapped(payload)

    def backfill(self, cursor: str) -> Page:
        """The next page of orders by modification time after the cursor `<date_modified_gmt of
        the last order read>|<orders of that second read>`."""
        params = {"orderby": "modified", "order": "asc", "per_page": str(self.page_size)}
        since, seen = "", 0
        if cursor:
            since, _, count = cursor.partition("|")
            seen = int(count or 0)
            after = _gmt(since) - timedelta(seconds=1)  # strictly after: that second included
            params |= {"modified_after": after.strftime(GMT_FORMAT), "dates_are_gmt": "true"}
        page = 1 + seen // self.page_size
        rows, headers = self._call("GET", "orders", {**params, "page": str(page)})
        rows = rows[seen % self.page_size :] if cursor else rows
        if not rows:
            return Page(orders=[], cursor=cursor, done=True)
        last = rows[-1]["date_modified_gmt"]
        same = sum(1 for row in rows if row["date_modified_gmt"] == last)
        seen = seen + same if all(row["date_modified_gmt"] == since for row in rows) else same
        return Page(
            orders=[self._mapped(row) for row in rows],
            cursor=f"{last}|{seen}",
            done=page >= int(headers.get("x-wp-totalpages") or page),
        )

    def _mapped(self, payload: Mapping[str, Any]) -> PlatformOrder:
        try:
            return self.map_order(payload)
        except (ValueError, KeyError, TypeError) as error:  # named, shown, not retried
            raise ConnectorError(
                f"order {payload.get('id')} does not fit Retour: {error}"
            ) from error

    def map_order(self, order: Mapping[str, Any]) -> PlatformOrder:
        """A REST v3 order as Retour's: amounts with tax when the shop's prices include it,
        without otherwise (`prices_include_tax`), so that each line's paid amount is exactly
        WooCommerce's `total + total_tax`."""
        currency = str(order["currency"]).upper()
        with_tax = bool(order.get("prices_include_tax"))

        def money(value: Any) -> Decimal:
            return quantize(_d(value), currency)

        def gross(item: Mapping[str, Any], amount: str, tax: str) -> Decimal:
            return money(item[amount]) + (money(item[tax]) if with_tax else ZERO)

        lines = [
            _line(item, gross(item, "subtotal", "subtotal_tax"), gross(item, "total", "total_tax"))
            for item in order["line_items"]
            if int(item.get("quantity") or 0) > 0
        ]
        fees = [gross(fee, "total", "total_tax") for fee in order.get("fee_lines") or []]
        billing, shipping = order.get("billing") or {}, order.get("shipping") or {}
        data = {
            "number": str(order.get("number") or order["id"]),
            "email": billing.get("email"),
            "currency": currency,
            "placed_at": _gmt(order["date_created_gmt"]),
            "paid_at": _gmt(order.get("date_paid_gmt")),
            "updated_at": _gmt(order["date_modified_gmt"]),
            "taxes_included": with_tax,
            "subtotal": sum((line["unit_price"] * line["quantity"] for line in lines), ZERO),
            # Coupons are already spread over the lines (subtotal − total); a negative fee is a
            # discount on the whole order, spread by Retour's refund calculation.
            "discount_total": sum((line["discount"] for line in lines), ZERO)
            - sum((fee for fee in fees if fee < 0), ZERO),
            # Positive fees (gift wrap, a payment surcharge) are charges beside the items: they
            # are refunded as shipping is.
            "shipping_total": money(order.get("shipping_total"))
            + (money(order.get("shipping_tax")) if with_tax else ZERO)
            + sum((fee for fee in fees if fee > 0), ZERO),
            "tax_total": money(order.get("total_tax")),
            "total": money(order["total"]),
            "shipping_address": _address(shipping or billing),
            "customer": _customer(order, billing),
            "lines": lines,
            "payments": _payments(order, money),
            "fulfillments": self._shipment(order, lines),
        }
        return PlatformOrder(str(order["id"]), OrderIn.model_validate(data), order)

    def _shipment(
        self, order: Mapping[str, Any], lines: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """WooCommerce has no fulfilments: a completed order (its `date_completed_gmt` stays when
        it is refunded later) was shipped whole then, and counts as delivered `transit_days`
        later, as the policy does for a shipment without a delivery date. The Shipment Tracking
        extension's meta gives the carrier and tracking number when present."""
        completed = _gmt(order.get("date_completed_gmt"))
        if completed is None or not lines:
            return []
        tracking = _tracking(order.get("meta_data") or [])
        return [
            {
                "external_id": f"order/{order['id']}",
                "carrier": str(
                    tracking.get("custom_tracking_provider")
                    or tracking.get("tracking_provider")
                    or ""
                )[:60],
                "tracking_number": str(tracking.get("tracking_number") or "")[:100],
                "shipped_at": completed,
                "delivered_at": completed + self.transit,
                "lines": [
                    {"line_external_id": line["external_id"], "quantity": line["quantity"]}
                    for line in lines
                ],
            }
        ]

    # ---- write-back ----------------------------------------------------------------------------

    def refund_request(self, facts: RefundFacts) -> dict[str, Any]:
        """The refund as one or two WooCommerce refunds: the units Retour restocked (with
        `api_restock`) and the others (without). Money moves through WooCommerce's gateway
        (`api_refund`) only for the parts the store refunds through its platform."""
        lines = [
            {
                "id": line.line_external_id,
                "quantity": line.quantity,
                "restocked": min(line.restocked, line.quantity),
                "amount": str(line.amount),
            }
            for line in facts.lines
        ]
        return {
            "operation": "refund",
            "order_id": facts.order_external_id,
            "currency": facts.currency,
            "reason": f"Retour {facts.rma} · {facts.reference}",
            "lines": lines,
            "shipping": str(facts.shipping),
            "api_refund": bool(facts.parts),
            "pays": str(facts.amount),
        }

    def restock_request(self, facts: RestockFacts) -> dict[str, Any]:
        raise Skipped(NO_RESTOCK_ALONE)

    def credit_request(self, facts: CreditFacts) -> dict[str, Any]:
        raise Skipped(NO_STORE_CREDIT)

    def send(self, request: Mapping[str, Any], *, idempotency_key: str) -> Sent:
        """Make the request's refunds, each marked `<key>#<n>`; one an earlier try made (its
        answer lost) is found among the order's refunds and not made again."""
        order_id = int(request["order_id"])
        order, _headers = self._call("GET", f"orders/{order_id}")
        bodies = _refund_bodies(request, order)
        total = sum((_d(body["amount"]) for body in bodies), ZERO)
        if request["api_refund"] and _d(request["pays"]) != total:
            raise ConnectorError(
                "WooCommerce pays a refund back whole through its gateway: a refund paid partly "
                "another way cannot be sent to it"
            )
        existing = self._refunds_by_key(
            order_id, {f"{idempotency_key}#{part}" for part in range(1, len(bodies) + 1)}
        )
        made = []
        for part, body in enumerate(bodies, start=1):
            marker = f"{idempotency_key}#{part}"
            found = existing.get(marker)
            if found is None:
                body["reason"] = f"{body['reason']} [{marker}]"
                body["meta_data"] = [{"key": KEY_META, "value": marker}]
                found, _headers = self._call("POST", f"orders/{order_id}/refunds", body=body)
            made.append(found)
        return Sent(",".join(str(r["id"]) for r in made), {"refunds": made})

    def _refunds_by_key(self, order_id: int, wanted: set[str]) -> dict[str, Mapping[str, Any]]:
        """The order's refunds that carry one of our keys (meta data, else the reason), read
        page by page until every wanted key is found or the last page is read: an order can
        have more refunds than a page holds (a marketplace's partial refunds), and a refund of
        ours left unread would be made, and paid, again. Newest first, where a lost try's refund
        is; by id, which is unique (refunds of the same second have no order of their own, and
        a page boundary among them could skip one)."""
        found: dict[str, Mapping[str, Any]] = {}
        pages = self._pages(f"orders/{order_id}/refunds", {"orderby": "id", "order": "desc"})
        for rows in pages:
            for row in rows:
                keys = [
                    m.get("value") for m in row.get("meta_data") or [] if m.get("key") == KEY_META
                ]
                keys += re.findall(r"\[([^\[\]]+#\d+)\]$", row.get("reason") or "")
                for key in keys:
                    found[str(key)] = row
            if wanted <= found.keys():
                break
        return found

    # ---- plumbing ------------------------------------------------------------------------------

    def _pages(self, path: str, params: Mapping[str, str]) -> Iterator[list[Any]]:
        """A list's rows, one page (of the most WooCommerce gives: 100) at a time, up to its
        last page (`X-WP-TotalPages`; without the header, up to a page not full)."""
        page = 1
        while True:
            rows, headers = self._call(
                "GET", path, {**params, "per_page": str(MAX_PAGE), "page": str(page)}
            )
            yield rows
            pages = headers.get("x-wp-totalpages")
            if not rows or (page >= int(pages) if pages else len(rows) < MAX_PAGE):
                return
            page += 1

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> tuple[Any, Mapping[str, str]]:
        url = f"{self.base_url}{API}/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        if not secure_url(url):
            raise ConnectorError("WooCommerce takes its API keys over HTTPS only")
        key = self.credentials.get("consumer_key", "")
        secret = self.credentials.get("consumer_secret", "")
        raw, headers = send_request(
            method,
            url,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
            },
        )
        try:
            return (json.loads(raw) if raw.strip() else {}), headers
        except ValueError as error:
            raise ConnectorError(f"{method} {path}: WooCommerce did not answer JSON") from error


def _line(item: Mapping[str, Any], before: Decimal, after: Decimal) -> dict[str, Any]:
    """A line item: its price before discounts (`subtotal`), the coupons' share (`subtotal −
    total`), the tax after discounts (`total_tax`)."""
    quantity = int(item["quantity"])
    product, variation = item.get("product_id") or 0, item.get("variation_id") or 0
    return {
        "external_id": str(item["id"]),
        "sku": str(item.get("sku") or f"wc-{product}-{variation}")[:100],
        "title": html.unescape(str(item["name"]))[:300],
        "quantity": quantity,
        "unit_price": (before / quantity).quantize(Decimal("0.0001")),
        "discount": max(before - after, ZERO),
        "tax": _d(item.get("total_tax")),
        "options": _options(item.get("meta_data") or []),
        "product_external_id": str(product) if product else "",
    }


def _payments(order: Mapping[str, Any], money) -> list[dict[str, Any]]:
    """The order's one payment (WooCommerce keeps one gateway per order), once paid; what its
    refunds already gave back (their totals are negative)."""
    paid = _gmt(order.get("date_paid_gmt"))
    if paid is None:
        return []
    captured = money(order["total"])
    refunded = -sum((money(r.get("total")) for r in order.get("refunds") or []), ZERO)
    return [
        {
            "gateway": str(order.get("payment_method") or "woocommerce")[:50],
            "method": "other",
            "reference": str(order.get("transaction_id") or f"order/{order['id']}")[:200],
            "captured": captured,
            "refunded": min(max(refunded, ZERO), captured),
            "created_at": paid,
        }
    ]


def _address(address: Mapping[str, Any]) -> dict[str, str]:
    return {
        "line1": str(address.get("address_1") or ""),
        "line2": str(address.get("address_2") or ""),
        "city": str(address.get("city") or ""),
        "postcode": str(address.get("postcode") or ""),
        "country": str(address.get("country") or ""),
    }


def _customer(order: Mapping[str, Any], billing: Mapping[str, Any]) -> dict[str, str] | None:
    if not billing.get("email"):
        return None
    return {
        "email": billing["email"],
        "first_name": str(billing.get("first_name") or "")[:100],
        "last_name": str(billing.get("last_name") or "")[:100],
        "phone": str(billing.get("phone") or "")[:40],
        "external_id": str(order["customer_id"]) if order.get("customer_id") else "",
    }


def _tracking(meta: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    for item in meta:
        if item.get("key") == TRACKING_META and isinstance(item.get("value"), list):
            entries = [e for e in item["value"] if isinstance(e, dict)]
            return entries[-1] if entries else {}
    return {}


def _split(amount: Decimal, item: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """A tax-inclusive amount of a line (or shipping line) as WooCommerce's `refund_total`
    (without tax) and `refund_tax` per rate, at the line's own rates."""
    taxes = [(t["id"], _d(t.get("total"))) for t in item.get("taxes") or [] if _d(t.get("total"))]
    whole = _d(item.get("total")) + sum((tax for _, tax in taxes), ZERO)
    refund_tax = [
        {"id": rate, "refund_total": str(quantize(amount * tax / whole, currency))}
        for rate, tax in taxes
    ]
    untaxed = quantize(amount, currency) - sum((_d(t["refund_total"]) for t in refund_tax), ZERO)
    return {"id": item["id"], "refund_total": str(untaxed), "refund_tax": refund_tax}


def _refund_bodies(request: Mapping[str, Any], order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request's refunds as WooCommerce reads them: the restocked units first, then the
    others; the shipping with the last."""
    currency = request["currency"]
    items = {str(item["id"]): item for item in order.get("line_items") or []}
    groups: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for line in request["lines"]:
        item = items.get(str(line["id"]))
        if item is None:
            raise ConnectorError(f"line {line['id']} is not in WooCommerce order {order['id']}")
        amount, quantity, restocked = (
            _d(line["amount"]),
            int(line["quantity"]),
            int(line["restocked"]),
        )
        kept = quantize(amount * restocked / quantity, currency)
        for restock, units, share in (
            (True, restocked, kept),
            (False, quantity - restocked, amount - kept),
        ):
            if units:
                groups[restock].append({**_split(share, item, currency), "quantity": units})
    shipping = _d(request["shipping"])
    chosen = [(restock, rows) for restock, rows in groups.items() if rows] or [(False, [])]
    bodies = []
    for index, (restock, rows) in enumerate(chosen):
        if index == len(chosen) - 1 and shipping:
            rows = rows + _shipping_rows(shipping, order, currency)
        amount = sum(
            (_d(r["refund_total"]) + sum((_d(t["refund_total"]) for t in r["refund_tax"]), ZERO))
            for r in rows
        )
        bodies.append(
            {
                "amount": str(amount),
                "reason": request["reason"],
                "api_refund": request["api_refund"],
                "api_restock": restock,
                "line_items": rows,
            }
        )
    return bodies


def _shipping_rows(amount: Decimal, order: Mapping[str, Any], currency: str) -> list[dict]:
    """The shipping refunded, on the order's first shipping line."""
    shipping_lines = order.get("shipping_lines") or []
    if not shipping_lines:
        raise ConnectorError(f"WooCommerce order {order['id']} has no shipping line to refund")
    return [_split(amount, shipping_lines[0], currency)]
