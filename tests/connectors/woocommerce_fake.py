"""A local stand-in for WooCommerce's REST API v3 (`/wp-json/wc/v3/`), answering as its
documentation says: the consumer key and secret as HTTP basic credentials; `GET orders` with
`orderby=modified`, `order`, `modified_after` (+ `dates_are_gmt`), `per_page` and `page`, and the
`X-WP-Total` / `X-WP-TotalPages` headers; `GET orders/<id>`; `GET orders/<id>/refunds` paged the
same way (`orderby` date or id, `order`, newest first by default; `per_page` 10 by default, at most
100); `POST orders/<id>/refunds` (a refund made is listed on the order as `{"id", "reason",
"total": "-<amount>"}`).

The orders are the documentation's examples (woocommerce.github.io/woocommerce-rest-api-docs,
"Retrieve an order" and "List all orders": orders 727 and 723), 727 with a 10 % coupon (`10off`)
applied as WooCommerce computes it: each line's `total` and `total_tax` after the coupon, the
coupon line's `discount` and `discount_tax`, the order's totals.
"""

from __future__ import annotations

import base64
import copy
import math
import urllib.parse
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.logistics.fake_carrier import Answer, FakeCarrier, Recorded

KEY = "ck_4f9d2a7b1c8e3f6a5d0b9c2e7f1a4d8b3c6e9f2a"
SECRET = "cs_8b1e4d7a0c3f6b9e2d5a8c1f4b7e0d3a6c9f2b5e"
WEBHOOK_SECRET = "wh_secret_7c2f9a4e1b8d"
BASE = "/wp-json/wc/v3/"

_ADDRESS = {
    "first_name": "John",
    "last_name": "Doe",
    "company": "",
    "address_1": "969 Market",
    "address_2": "",
    "city": "San Francisco",
    "state": "CA",
    "postcode": "94103",
    "country": "US",
}


def order_727() -> dict[str, Any]:
    """ "Retrieve an order" (727: two lines, a 7.5 % state tax, flat-rate shipping), with the
    coupon `10off` (10 %)."""
    return {
        "id": 727,
        "parent_id": 0,
        "number": "727",
        "order_key": "wc_order_58d2d042d1d",
        "created_via": "rest-api",
        "version": "3.0.0",
        "status": "processing",
        "currency": "USD",
        "date_created": "2017-03-22T16:28:02",
        "date_created_gmt": "2017-03-22T19:28:02",
        "date_modified": "2017-03-22T16:28:08",
        "date_modified_gmt": "2017-03-22T19:28:08",
        "discount_total": "1.80",
        "discount_tax": "0.13",
        "shipping_total": "10.00",
        "shipping_tax": "0.00",
        "cart_tax": "1.22",
        "total": "27.42",
        "total_tax": "1.22",
        "prices_include_tax": False,
        "customer_id": 0,
        "customer_ip_address": "",
        "customer_user_agent": "",
        "customer_note": "",
        "billing": _ADDRESS | {"email": "john.doe@example.com", "phone": "(555) 555-5555"},
        "shipping": dict(_ADDRESS),
        "payment_method": "bacs",
        "payment_method_title": "Direct Bank Transfer",
        "transaction_id": "",
        "date_paid": "2017-03-22T16:28:08",
        "date_paid_gmt": "2017-03-22T19:28:08",
        "date_completed": None,
        "date_completed_gmt": None,
        "cart_hash": "",
        "meta_data": [{"id": 13106, "key": "_download_permissions_granted", "value": "yes"}],
        "line_items": [
            {
                "id": 315,
                "name": "Woo Single #1",
                "product_id": 93,
                "variation_id": 0,
                "quantity": 2,
                "tax_class": "",
                "subtotal": "6.00",
                "subtotal_tax": "0.45",
                "total": "5.40",
                "total_tax": "0.41",
                "taxes": [{"id": 75, "total": "0.41", "subtotal": "0.45"}],
                "meta_data": [],
                "sku": "",
                "price": 2.7,
            },
            {
                "id": 316,
                "name": "Ship Your Idea &ndash; Color: Black, Size: M Test",
                "product_id": 22,
                "variation_id": 23,
                "quantity": 1,
                "tax_class": "",
                "subtotal": "12.00",
                "subtotal_tax": "0.90",
                "total": "10.80",
                "total_tax": "0.81",
                "taxes": [{"id": 75, "total": "0.81", "subtotal": "0.9"}],
                "meta_data": [
                    {"id": 2095, "key": "pa_color", "value": "black"},
                    {"id": 2096, "key": "size", "value": "M Test"},
                ],
                "sku": "Bar3",
                "price": 10.8,
            },
        ],
        "tax_lines": [
            {
                "id": 318,
                "rate_code": "US-CA-STATE TAX",
                "rate_id": 75,
                "label": "State Tax",
                "compound": False,
                "tax_total": "1.22",
                "shipping_tax_total": "0.00",
                "meta_data": [],
            }
        ],
        "shipping_lines": [
            {
                "id": 317,
                "method_title": "Flat Rate",
                "method_id": "flat_rate",
                "total": "10.00",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
            }
        ],
        "fee_lines": [],
        "coupon_lines": [
            {
                "id": 319,
                "code": "10off",
                "discount": "1.80",
                "discount_tax": "0.13",
                "meta_data": [],
            }
        ],
        "refunds": [],
    }


def order_723() -> dict[str, Any]:
    """ "List all orders", second order (723): completed, two refunds already made."""
    address = _ADDRESS | {
        "first_name": "João",
        "last_name": "Silva",
        "address_1": "Av. Brasil, 432",
        "city": "Rio de Janeiro",
        "state": "RJ",
        "postcode": "12345-000",
        "country": "BR",
    }
    return {
        "id": 723,
        "parent_id": 0,
        "number": "723",
        "order_key": "wc_order_58d17c18352",
        "created_via": "checkout",
        "version": "3.0.0",
        "status": "completed",
        "currency": "USD",
        "date_created": "2017-03-21T16:16:00",
        "date_created_gmt": "2017-03-21T19:16:00",
        "date_modified": "2017-03-21T16:54:51",
        "date_modified_gmt": "2017-03-21T19:54:51",
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "10.00",
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": "39.00",
        "total_tax": "0.00",
        "prices_include_tax": False,
        "customer_id": 26,
        "customer_note": "",
        "billing": address | {"email": "joao.silva@example.com", "phone": "(11) 1111-1111"},
        "shipping": dict(address),
        "payment_method": "bacs",
        "payment_method_title": "Direct bank transfer",
        "transaction_id": "",
        "date_paid": None,
        "date_paid_gmt": None,
        "date_completed": "2017-03-21T16:54:51",
        "date_completed_gmt": "2017-03-21T19:54:51",
        "cart_hash": "5040ce7273261e31d8bcf79f9be3d279",
        "meta_data": [{"id": 13023, "key": "_download_permissions_granted", "value": "yes"}],
        "line_items": [
            {
                "id": 311,
                "name": "Woo Album #2",
                "product_id": 87,
                "variation_id": 0,
                "quantity": 1,
                "tax_class": "",
                "subtotal": "9.00",
                "subtotal_tax": "0.00",
                "total": "9.00",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": "",
                "price": 9,
            },
            {
                "id": 313,
                "name": "Woo Ninja",
                "product_id": 34,
                "variation_id": 0,
                "quantity": 1,
                "tax_class": "",
                "subtotal": "20.00",
                "subtotal_tax": "0.00",
                "total": "20.00",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": "",
                "price": 20,
            },
        ],
        "tax_lines": [],
        "shipping_lines": [
            {
                "id": 312,
                "method_title": "Flat rate",
                "method_id": "flat_rate:25",
                "total": "10.00",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [{"id": 2057, "key": "Items", "value": "Woo Album #2 &times; 1"}],
            }
        ],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [
            {"id": 726, "reason": "", "total": "-10.00"},
            {"id": 724, "reason": "", "total": "-9.00"},
        ],
    }


class WooCommerceREST:
    """The fake shop: `orders` by id, `refunds` by order id, `restocked` units by order item;
    `failures[(method, "refunds")]`
    answers queued errors first (after doing the write when `Answer.body == "after-write"`)."""

    def __init__(self, fake: FakeCarrier) -> None:
        self.fake = fake
        self.orders: dict[int, dict[str, Any]] = {727: order_727(), 723: order_723()}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.restocked: dict[int, int] = {}  # units put back in stock, by order item
        self.failures: dict[tuple[str, str], list[Answer]] = {}
        fake.answer = self.answer

    @property
    def url(self) -> str:
        return self.fake.url

    def answer(self, recorded: Recorded) -> Answer:
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        if recorded.headers.get("Authorization", "") != expected:
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        url = urllib.parse.urlsplit(recorded.path)
        parts = url.path.removeprefix(BASE).split("/")
        query = dict(urllib.parse.parse_qsl(url.query))
        resource = parts[-1] if parts[-1] == "refunds" else parts[0]
        queued = self.failures.get((recorded.method, resource))
        if queued:
            failure = queued.pop(0)
            if failure.body != "after-write":
                return failure
            self._serve(recorded, parts, query)
            return _error(failure.status, "internal_error", "lost")
        return self._serve(recorded, parts, query)

    def _serve(self, recorded: Recorded, parts: list[str], query: dict[str, str]) -> Answer:
        if parts == ["orders"] and recorded.method == "GET":
            return self._list(query)
        order = self.orders.get(int(parts[1])) if len(parts) > 1 and parts[1].isdigit() else None
        if parts[0] != "orders" or order is None:
            return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        if len(parts) == 2 and recorded.method == "GET":
            return Answer(200, copy.deepcopy(order))
        if parts[2:] == ["refunds"] and recorded.method == "GET":
            return self._refunds(order["id"], query)
        if parts[2:] == ["refunds"] and recorded.method == "POST":
            return Answer(201, self.refund(order["id"], recorded.json()))
        return _error(404, "rest_no_route", "No route was found matching the URL")

    def _list(self, query: dict[str, str]) -> Answer:
        rows = list(self.orders.values())
        if "modified_after" in query:
            if query.get("dates_are_gmt") != "true":  # this stand-in keeps its dates in GMT only
                return _error(400, "rest_invalid_param", "dates_are_gmt is required here")
            rows = [r for r in rows if r["date_modified_gmt"] > query["modified_after"]]
        if query.get("orderby") == "modified":
            rows.sort(key=lambda r: (r["date_modified_gmt"], r["id"]))
        if query.get("order") == "desc":
            rows.reverse()
        return _paged(rows, query)

    def _refunds(self, order_id: int, query: dict[str, str]) -> Answer:
        """An order's refunds, newest first unless asked otherwise, a page at a time."""
        rows = list(self.refunds.get(order_id, []))
        if query.get("orderby", "date") == "date":
            rows.sort(key=lambda r: (r["date_created_gmt"], r["id"]))
        else:
            rows.sort(key=lambda r: r["id"])
        if query.get("order", "desc") == "desc":
            rows.reverse()
        return _paged(rows, query)

    def refund(self, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Make a refund of the order, as `POST orders/<id>/refunds` does."""
        order = self.orders[order_id]
        made = [r["id"] for rows in self.refunds.values() for r in rows]
        refund_id = max([900, *made]) + 1
        refund = {
            "id": refund_id,
            "date_created_gmt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": body["amount"],
            "reason": body.get("reason", ""),
            "refunded_by": 1,
            "refunded_payment": bool(body.get("api_refund", True)),
            "meta_data": [
                {"id": 5000 + index, **item} for index, item in enumerate(body.get("meta_data", []))
            ],
            "line_items": [
                {
                    "id": 4000 + index,
                    "quantity": -int(item.get("quantity", 0)),
                    "total": f"-{item['refund_total']}",
                    "meta_data": [{"key": "_refunded_item_id", "value": str(item["id"])}],
                }
                for index, item in enumerate(body.get("line_items", []))
            ],
        }
        if body.get("api_restock", True):  # WooCommerce's default: the refunded units go back
            for item in body.get("line_items", []):
                self.restocked[int(item["id"])] = self.restocked.get(int(item["id"]), 0) + int(
                    item.get("quantity", 0)
                )
        self.refunds.setdefault(order["id"], []).append(refund)
        order["refunds"].append(
            {"id": refund_id, "reason": refund["reason"], "total": f"-{Decimal(body['amount'])}"}
        )
        return refund

    def calls(self, method: str, suffix: str) -> list[Recorded]:
        return [
            r
            for r in self.fake.requests
            if r.method == method and r.path.split("?")[0].endswith(suffix)
        ]


def _paged(rows: list[dict[str, Any]], query: dict[str, str]) -> Answer:
    """One page of a list (`per_page`, 10 unless given, at most 100; `page`), with the
    `X-WP-Total` and `X-WP-TotalPages` headers."""
    per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
    if not 1 <= per_page <= 100:
        return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
    total = len(rows)
    shown = rows[(page - 1) * per_page : page * per_page]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(math.ceil(total / per_page))}
    return Answer(200, copy.deepcopy(shown), headers=headers)


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message, "data": {"status": status}})
