"""Shopify: webhooks signed with `X-Shopify-Hmac-Sha256`, orders read and written through the
Admin GraphQL API.

- A webhook (`orders/create`, `orders/updated`, `fulfillments/create|update`, `refunds/create`)
  is a notice: its body is verified (base64 HMAC-SHA256 of the raw body with the app's secret),
  its `X-Shopify-Webhook-Id` makes it idempotent, and the order it names is then read through
  GraphQL, so that one mapping (with the order's transactions, which webhooks do not carry) turns
  every Shopify order into Retour's.
- Backfill: `orders(first:, after:, sortKey: UPDATED_AT)`, the `endCursor` kept after each page;
  after a bulk export, only the orders updated since it began (`query: "updated_at:>='…'"`).
- First backfill: a bulk operation (Shopify's guide "Perform bulk operations with the GraphQL
  Admin API", shopify.dev/docs/api/usage/bulk-operations/queries, and the reference of
  `bulkOperationRunQuery`, `bulkOperation(id:)` — API 2026-01 and later —, `BulkOperation`,
  `BulkOperationStatus`): the orders query without `first` on its connections, run by Shopify
  in the background; polled by id until `COMPLETED` (or `FAILED`, `CANCELED`, `EXPIRED`); its
  `url` (signed, no token needed, valid seven days) is a JSONL file, one object a line: each
  order, then each node of its connections on a line of its own with `__parentId` (the order's
  id). `groupObjects: true` asks for those lines right after their order, so that an order is
  whole when the next one begins and the file is read as a stream. A connection inside a plain
  list is refused in a bulk query ("Queries that contain a connection field within a list field
  are not currently supported"): a fulfillment's line items are read afterwards, 30
  fulfillments a query (`fulfillment(id:)` under aliases), then followed like any order's.
  The running bulk queries of an app and shop are limited (one before API 2026-01, five since):
  a refusal for that is retried later.
- An order is read whole: the nested connections (line items, shipping lines, each fulfillment's
  line items) are followed page by page (`Nested`), the plain lists asked for without `first`.
- Every query stays well within Shopify's 1,000-point limit on a query's *requested* cost (what
  it may return, priced before it runs: an object 1, a connection 2 + `first` × one node, nested
  connections multiplied; `MAX_COST_EXCEEDED` otherwise, the query refused whole): small first
  pages with the order, a few orders a backfill page, larger pages for the follow-ups alone.
- Write-back: `refundCreate` (lines with their restock, shipping, the refunded transactions) and
  `inventoryAdjustQuantities`, each with the `@idempotent(key:)` directive that API 2026-04
  requires; store credit with `storeCreditAccountCredit`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from retour.commerce.inputs import OrderIn
from retour.connectors.adapters.base import (
    ConnectorError,
    CreditFacts,
    Export,
    ExportChunk,
    InvalidSignature,
    Notice,
    Page,
    PlatformOrder,
    RefundFacts,
    RestockFacts,
    Sent,
    send_json,
    stream_lines,
)

API_VERSION = "2026-04"
ZERO = Decimal("0")

PAGE_INFO = "pageInfo { hasNextPage endCursor }"

# Shopify refuses before running it any query whose requested cost is above 1,000 points (it
# prices what the query *may* return: each connection as if full, nested ones multiplied). With
# its nested first pages below, an order costs 169 points (a line item 10, a shipping line 5, a
# fulfillment line 2, the rest 24): a backfill page of 4 orders 679, a follow-up at most 754.
# The tests price every query the adapter sends by Shopify's rules and keep them under 800.
ORDERS_PER_PAGE = 4


@dataclass(frozen=True)
class Nested:
    """A connection inside an order (or inside one of its fulfillments). Its first page, of
    `first`, comes with the order; when `hasNextPage`, the rest is read from its owner's node
    (`order(id:)`, `fulfillment(id:)`) with `after:` the page's `endCursor`, `more` at a time,
    one query per page, so that an order is never imported cut short (a B2B order of 600 lines,
    a fulfillment of 300). The first page is small because it is paid for in every order of a
    backfill page, for the few orders that are large; a follow-up, alone in its query, can ask
    for more."""

    owner: str  # the query root field reading the owner by its id
    name: str
    first: int
    more: int
    fields: str

    def selection(self) -> str:
        return self._page(f"first: {self.first}")

    def bulk_selection(self) -> str:
        """In a bulk query: the whole connection (no `first`); its nodes come as lines of their
        own, told apart by `__typename`."""
        return f"{self.name} {{ edges {{ node {{ __typename {self.fields} }} }} }}"

    def _page(self, args: str) -> str:
        return f"{self.name}({args}) {{ {PAGE_INFO} nodes {{ {self.fields} }} }}"

    @property
    def rest_query(self) -> str:
        return (
            f"query Rest($id: ID!, $after: String!) {{ {self.owner}(id: $id) {{ "
            f"{self._page(f'first: {self.more}, after: $after')} }} }}"
        )


LINE_ITEMS = Nested(
    "order",
    "lineItems",
    10,
    75,  # 1 + 2 + 1 + 75 × 10 = 754 points
    "id sku title variantTitle quantity product { id productType } "
    "originalUnitPriceSet { shopMoney { amount } } "
    "discountAllocations { allocatedAmountSet { shopMoney { amount } } } "
    "taxLines { priceSet { shopMoney { amount } } }",
)
SHIPPING_LINES = Nested(
    "order",
    "shippingLines",
    5,
    20,
    "originalPriceSet { shopMoney { amount } } discountedPriceSet { shopMoney { amount } }",
)
FULFILLMENT_LINE_ITEMS = Nested(
    "fulfillment", "fulfillmentLineItems", 10, 250, "quantity lineItem { id }"
)

# `Order.transactions` and `Order.fulfillments` are plain lists, not connections: `first` would
# only truncate them and no cursor pages them, so they are asked for without it (the whole list).
# A line item's `discountAllocations` and `taxLines` are plain lists too, asked for whole.


def _order_fields(line_items: str, shipping_lines: str, fulfillment_lines: str) -> str:
    """An order's fields, its connections selected as the query needs them."""
    return "\n".join(
        (
            "id name email createdAt processedAt updatedAt currencyCode taxesIncluded",
            "customer { id email firstName lastName phone }",
            "shippingAddress { address1 address2 city zip countryCodeV2 }",
            "totalDiscountsSet { shopMoney { amount } }",
            "totalTaxSet { shopMoney { amount } }",
            "totalPriceSet { shopMoney { amount } }",
            line_items,
            shipping_lines,
            "transactions { id kind status gateway processedAt createdAt "
            "amountSet { shopMoney { amount } } parentTransaction { id } }",
            f"fulfillments {{ id createdAt deliveredAt trackingInfo {{ company number }} "
            f"{fulfillment_lines}}}",
        )
    )


ORDER_FIELDS = _order_fields(
    LINE_ITEMS.selection(), SHIPPING_LINES.selection(), FULFILLMENT_LINE_ITEMS.selection() + " "
)
# The nodes of the bulk export's connections, by `__typename`: where each goes in its order.
BULK_CHILDREN = {"LineItem": LINE_ITEMS.name, "ShippingLine": SHIPPING_LINES.name}
BULK_QUERY = (
    "{ orders(sortKey: UPDATED_AT) { edges { node { "
    + _order_fields(LINE_ITEMS.bulk_selection(), SHIPPING_LINES.bulk_selection(), "")
    + " } } } }"
)
BULK_RUN_MUTATION = (
    "mutation Export($query: String!) { bulkOperationRunQuery(query: $query, groupObjects: "
    "true) { bulkOperation { id status createdAt } userErrors { field message code } } }"
)
BULK_STATUS_QUERY = (
    "query Export($id: ID!) { bulkOperation(id: $id) { id status errorCode createdAt url } }"
)
# A fulfillment's first page of line items costs 24 points: 30 of them a query, 720.
FULFILLMENTS_PER_QUERY = 30

ORDER_QUERY = "query Order($id: ID!) { order(id: $id) { " + ORDER_FIELDS + " } }"
ORDERS_QUERY = (
    "query Orders($first: Int!, $after: String, $query: String) { orders(first: $first, "
    "after: $after, sortKey: UPDATED_AT, query: $query) { pageInfo { hasNextPage endCursor } "
    "nodes { " + ORDER_FIELDS + " } } }"
)
REFUND_MUTATION = (
    "mutation RefundCreate($input: RefundInput!) { refundCreate(input: $input) "
    "@idempotent(key: %s) { refund { id } userErrors { field message } } }"
)
ADJUST_MUTATION = (
    "mutation Adjust($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities("
    "input: $input) @idempotent(key: %s) { inventoryAdjustmentGroup { id } "
    "userErrors { field message } } }"
)
CREDIT_MUTATION = (
    "mutation Credit($id: ID!, $creditInput: StoreCreditAccountCreditInput!) { "
    "storeCreditAccountCredit(id: $id, creditInput: $creditInput) { "
    "storeCreditAccountTransaction { id } userErrors { field message } } }"
)
VARIANT_QUERY = (
    "query Variant($query: String!) { productVariants(first: 1, query: $query) { "
    "nodes { id inventoryItem { id } } } }"
)
ORDER_TOPICS = {"orders/create", "orders/updated"}
TOPICS = ORDER_TOPICS | {"fulfillments/create", "fulfillments/update", "refunds/create"}
SALE_KINDS = {"SALE", "CAPTURE"}


def fulfillment_lines_query(count: int) -> str:
    """The first page of line items of `count` fulfillments, one aliased field each."""
    names = [f"f{n}" for n in range(count)]
    return (
        "query Lines("
        + ", ".join(f"${name}: ID!" for name in names)
        + ") { "
        + " ".join(
            f"{name}: fulfillment(id: ${name}) {{ {FULFILLMENT_LINE_ITEMS.selection()} }}"
            for name in names
        )
        + " }"
    )


def sign(body: bytes, secret: str) -> str:
    """The `X-Shopify-Hmac-Sha256` of a body: base64 of its HMAC-SHA256 with the app's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def order_gid(number_id: Any) -> str:
    text = str(number_id)
    return text if text.startswith("gid://") else f"gid://shopify/Order/{text}"


def _money(node: Mapping[str, Any] | None) -> Decimal:
    return Decimal(str(node["shopMoney"]["amount"])) if node else ZERO


def _sum(items: list[Mapping[str, Any]], key: str) -> Decimal:
    return sum((_money(item[key]) for item in items), ZERO)


def _line(node: Mapping[str, Any]) -> dict[str, Any]:
    title = node["title"] + (f" – {node['variantTitle']}" if node.get("variantTitle") else "")
    product = node.get("product") or {}
    return {
        "external_id": node["id"],
        "sku": node.get("sku") or node["id"].rsplit("/", 1)[-1],
        "title": title[:300],
        "quantity": node["quantity"],
        "unit_price": _money(node["originalUnitPriceSet"]),
        "discount": _sum(node["discountAllocations"], "allocatedAmountSet"),
        "tax": _sum(node["taxLines"], "priceSet"),
        "category": (product.get("productType") or "")[:120],
        "product_external_id": product.get("id") or "",
    }


def _payments(transactions: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One payment per successful sale or capture (a gift card and a card are two); what was
    refunded of it is the sum of the successful refunds whose parent it is."""
    ok = [t for t in transactions if t["status"] == "SUCCESS"]
    refunded: dict[str, Decimal] = {}
    for item in ok:
        if item["kind"] == "REFUND" and item.get("parentTransaction"):
            parent = item["parentTransaction"]["id"]
            refunded[parent] = refunded.get(parent, ZERO) + _money(item["amountSet"])
    return [
        {
            "gateway": item["gateway"],
            "method": "gift_card" if item["gateway"] == "gift_card" else "card",
            "reference": item["id"],
            "captured": _money(item["amountSet"]),
            "refunded": refunded.get(item["id"], ZERO),
            "created_at": item.get("processedAt") or item["createdAt"],
        }
        for item in ok
        if item["kind"] in SALE_KINDS
    ]


def _fulfillments(nodes: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    shipments = []
    for node in nodes:
        tracking = (node.get("trackingInfo") or [{}])[0] if node.get("trackingInfo") else {}
        lines = [
            {"line_external_id": item["lineItem"]["id"], "quantity": item["quantity"]}
            for item in node["fulfillmentLineItems"]["nodes"]
            if item["quantity"] > 0
        ]
        if lines:
            shipments.append(
                {
                    "external_id": node["id"],
                    "carrier": (tracking.get("company") or "")[:60],
                    "tracking_number": (tracking.get("number") or "")[:100],
                    "shipped_at": node["createdAt"],
                    "delivered_at": node.get("deliveredAt"),
                    "lines": lines,
                }
            )
    return shipments


def map_order(node: Mapping[str, Any]) -> PlatformOrder:
    """A GraphQL `Order` as Retour's order: line prices before discounts, each line's discount
    allocations and tax lines, shipping after its discounts, one payment per sale or capture
    (gift cards included)."""
    lines = [_line(item) for item in node["lineItems"]["nodes"] if item["quantity"] > 0]
    shipping = node["shippingLines"]["nodes"]
    shipping_paid = _sum(shipping, "discountedPriceSet")
    # Shopify's total discounts include those on shipping, which the shipping lines' discounted
    # prices already carry: Retour's order discount is the rest (on the items).
    shipping_discount = _sum(shipping, "originalPriceSet") - shipping_paid
    address = node.get("shippingAddress") or {}
    customer = node.get("customer") or {}
    data = {
        "number": node["name"],
        "email": node.get("email") or customer.get("email"),
        "currency": node["currencyCode"],
        "placed_at": node.get("processedAt") or node["createdAt"],
        "paid_at": node.get("processedAt"),
        "updated_at": node["updatedAt"],
        "taxes_included": node["taxesIncluded"],
        "subtotal": sum((line["unit_price"] * line["quantity"] for line in lines), ZERO),
        "discount_total": _money(node["totalDiscountsSet"]) - shipping_discount,
        "shipping_total": shipping_paid,
        "tax_total": _money(node["totalTaxSet"]),
        "total": _money(node["totalPriceSet"]),
        "shipping_address": {
            key: str(address.get(source) or "")
            for key, source in (
                ("line1", "address1"),
                ("line2", "address2"),
                ("city", "city"),
                ("postcode", "zip"),
                ("country", "countryCodeV2"),
            )
        },
        "customer": {
            "email": customer.get("email") or node.get("email"),
            "first_name": customer.get("firstName") or "",
            "last_name": customer.get("lastName") or "",
            "phone": customer.get("phone") or "",
            "external_id": customer.get("id") or "",
        }
        if customer
        else None,
        "lines": lines,
        "payments": _payments(node["transactions"]),
        "fulfillments": _fulfillments(node["fulfillments"]),
    }
    return PlatformOrder(node["id"], OrderIn.model_validate(data), node)


class ShopifyConnector:
    platform = "shopify"
    receives_webhooks = True
    credential_names = ("access_token", "webhook_secret")

    def __init__(
        self, *, base_url: str, credentials: Mapping[str, Any], options: Mapping[str, Any]
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.options = options

    @property
    def restocks_with_refund(self) -> bool:
        """`refundCreate` restocks its lines at a location: only when the store named one."""
        return bool(self.options.get("location_id"))

    # ---- inbound -------------------------------------------------------------------------------

    def is_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        return False

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        given = headers.get("x-shopify-hmac-sha256", "")
        expected = sign(body, self.credentials.get("webhook_secret", ""))
        if not given or not hmac.compare_digest(given, expected):
            raise InvalidSignature("X-Shopify-Hmac-Sha256 does not match the body")

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        topic = headers.get("x-shopify-topic", "")
        payload = json.loads(body)
        if topic in ORDER_TOPICS:
            resource, updated = payload.get("admin_graphql_api_id") or payload["id"], "updated_at"
        else:
            resource, updated = payload.get("order_id", ""), "created_at"
        key = headers.get("x-shopify-webhook-id") or headers.get("x-shopify-event-id", "")
        return Notice(
            key=key or hashlib.sha256(body).hexdigest(),
            topic=topic,
            resource_id=order_gid(resource) if resource and topic in TOPICS else "",
            updated_at=_when(payload.get(updated)) if topic in ORDER_TOPICS else None,
        )

    def fetch_order(self, resource_id: str) -> PlatformOrder | None:
        node = self._graphql(ORDER_QUERY, {"id": resource_id})["order"]
        return map_order(self._whole(node)) if node else None

    @property
    def page_size(self) -> int:
        """Orders a backfill page: option `page_size`, at most `ORDERS_PER_PAGE` (more would
        take the query past Shopify's cost limit)."""
        given = self.options.get("page_size", ORDERS_PER_PAGE)
        try:
            size = int(given)
        except (TypeError, ValueError):
            raise ConnectorError(f"option page_size must be a number, not {given!r}") from None
        return min(max(size, 1), ORDERS_PER_PAGE)

    def backfill(self, cursor: str) -> Page:
        # The cursor is the page's `endCursor`, after `<time>|` when only the orders updated
        # since a bulk export began are read (an `endCursor` is only valid with its filter).
        since, _, after = cursor.rpartition("|")
        variables = {
            "first": self.page_size,
            "after": after or None,
            "query": f"updated_at:>='{since}'" if since else None,
        }
        orders = self._graphql(ORDERS_QUERY, variables)["orders"]
        info = orders["pageInfo"]
        return Page(
            orders=[map_order(self._whole(node)) for node in orders["nodes"]],
            cursor=(f"{since}|" if since else "") + (info["endCursor"] or after),
            done=not info["hasNextPage"],
        )

    # ---- bulk export of the order history ------------------------------------------------------

    exports_in_bulk = True

    def cursor_since(self, started_at: str) -> str:
        return f"{started_at}|"

    def start_export(self) -> Export:
        answer = self._graphql(BULK_RUN_MUTATION, {"query": BULK_QUERY})["bulkOperationRunQuery"]
        errors = answer.get("userErrors") or []
        if errors:
            message = "; ".join(e["message"] for e in errors)
            busy = any(e.get("code") == "OPERATION_IN_PROGRESS" for e in errors)
            # Another bulk query of this app is running on the shop: ours starts once it ends.
            raise ConnectorError(f"Shopify's bulk export: {message}", retryable=busy)
        return _export(answer["bulkOperation"])

    def export_status(self, export_id: str) -> Export:
        node = self._graphql(BULK_STATUS_QUERY, {"id": export_id})["bulkOperation"]
        if node is None:
            return Export(export_id, "EXPIRED", "")
        return _export(node)

    def export_orders(self, url: str, *, offset: int, limit: int) -> ExportChunk:
        """Up to `limit` orders of the export's file from byte `offset`, each read whole (its
        fulfillments' line items, then the rest of any connection, by follow-up queries) and
        mapped as every other order."""
        read: list[tuple[dict[str, Any], int]] = []
        done = True
        for order, end in _grouped_orders(stream_lines(url, offset=offset), offset):
            if len(read) == limit:
                done = False
                break
            read.append((order, end))
        self._read_fulfillment_lines([order for order, _ in read])
        return ExportChunk([(map_order(self._whole(order)), end) for order, end in read], done)

    def _read_fulfillment_lines(self, orders: list[dict[str, Any]]) -> None:
        """The first page of line items of each fulfillment the export could not carry."""
        name = FULFILLMENT_LINE_ITEMS.name
        waiting = [f for order in orders for f in order["fulfillments"] if name not in f]
        for start in range(0, len(waiting), FULFILLMENTS_PER_QUERY):
            batch = waiting[start : start + FULFILLMENTS_PER_QUERY]
            variables = {f"f{n}": fulfillment["id"] for n, fulfillment in enumerate(batch)}
            answer = self._graphql(fulfillment_lines_query(len(batch)), variables)
            for alias, fulfillment in zip(variables, batch, strict=True):
                # Cancelled since the export: no lines (and the order, updated since, is read
                # again by the paged backfill that follows the export).
                found = answer[alias] or {name: {"pageInfo": DONE, "nodes": []}}
                fulfillment[name] = found[name]

    def _whole(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order with the rest of each nested connection read into it (kept raw whole)."""
        self._read_rest(order, LINE_ITEMS)
        self._read_rest(order, SHIPPING_LINES)
        for fulfillment in order["fulfillments"]:
            self._read_rest(fulfillment, FULFILLMENT_LINE_ITEMS)
        return order

    def _read_rest(self, owner: dict[str, Any], nested: Nested) -> None:
        """Follow `owner[nested.name]` to its last page, one request per page (through
        `_graphql`: a throttled follow-up is retried by the job like any read)."""
        page = owner[nested.name]
        while page["pageInfo"]["hasNextPage"]:
            variables = {"id": owner["id"], "after": page["pageInfo"]["endCursor"]}
            node = self._graphql(nested.rest_query, variables)[nested.owner]
            if node is None:  # deleted while being read: the next try reads it afresh
                raise ConnectorError(f"{owner['id']} vanished while being read", retryable=True)
            following = node[nested.name]
            page["nodes"].extend(following["nodes"])
            page["pageInfo"] = following["pageInfo"]

    # ---- write-back ----------------------------------------------------------------------------

    def refund_request(self, facts: RefundFacts) -> dict[str, Any]:
        location = self.options.get("location_id", "")
        items = []
        for line in facts.lines:
            restocked = min(line.restocked, line.quantity) if location else 0
            for quantity, restock in ((restocked, "RETURN"), (line.quantity - restocked, "")):
                if quantity:
                    item = {"lineItemId": line.line_external_id, "quantity": quantity}
                    item |= (
                        {"restockType": "RETURN", "locationId": location}
                        if restock
                        else {"restockType": "NO_RESTOCK"}
                    )
                    items.append(item)
        refund: dict[str, Any] = {
            "orderId": facts.order_external_id,
            "note": f"Retour {facts.rma} · {facts.reference}",
            "notify": False,
            "currency": facts.currency,
            "refundLineItems": items,
        }
        # `transactions` is what makes Shopify move money. Without it the refund records the
        # lines, their restock and the shipping only: the money went back through Retour's own
        # gateway or finance, and Shopify must not pay it a second time (ADR 0008).
        if facts.parts:
            refund["transactions"] = [
                {
                    "orderId": facts.order_external_id,
                    "parentId": part.payment_reference,
                    "amount": str(part.amount),
                    "gateway": part.gateway,
                    "kind": "REFUND",
                }
                for part in facts.parts
            ]
        if facts.shipping > 0:
            refund["shipping"] = {"amount": str(facts.shipping)}
        return {"operation": "refundCreate", "variables": {"input": refund}}

    def restock_request(self, facts: RestockFacts) -> dict[str, Any]:
        return {
            "operation": "inventoryAdjustQuantities",
            "sku": facts.sku,
            "variables": {
                "input": {
                    "reason": "restock",
                    "name": "available",
                    "referenceDocumentUri": f"retour://restock/{facts.reference}",
                    "changes": [
                        {"delta": facts.delta, "locationId": self.options.get("location_id", "")}
                    ],
                }
            },
        }

    def credit_request(self, facts: CreditFacts) -> dict[str, Any]:
        if not facts.customer_external_id:
            raise ConnectorError(f"{facts.email} is not a Shopify customer")
        return {
            "operation": "storeCreditAccountCredit",
            "variables": {
                "id": facts.customer_external_id,
                "creditInput": {
                    "creditAmount": {"amount": str(facts.amount), "currencyCode": facts.currency}
                },
            },
        }

    def send(self, request: Mapping[str, Any], *, idempotency_key: str) -> Sent:
        operation = request["operation"]
        variables = json.loads(json.dumps(request["variables"]))
        key = json.dumps(idempotency_key)
        if operation == "refundCreate":
            answer = self._graphql(REFUND_MUTATION % key, variables)[operation]
            return Sent(self._checked(answer)["refund"]["id"], answer)
        if operation == "inventoryAdjustQuantities":
            item = self._inventory_item(request["sku"])
            variables["input"]["changes"][0]["inventoryItemId"] = item
            answer = self._graphql(ADJUST_MUTATION % key, variables)[operation]
            return Sent(self._checked(answer)["inventoryAdjustmentGroup"]["id"], answer)
        answer = self._graphql(CREDIT_MUTATION, variables)[operation]
        return Sent(self._checked(answer)["storeCreditAccountTransaction"]["id"], answer)

    # ---- plumbing ------------------------------------------------------------------------------

    def _inventory_item(self, sku: str) -> str:
        nodes = self._graphql(VARIANT_QUERY, {"query": f"sku:{json.dumps(sku)}"})[
            "productVariants"
        ]["nodes"]
        if not nodes:
            raise ConnectorError(f"no Shopify variant has the SKU {sku}")
        return nodes[0]["inventoryItem"]["id"]

    @staticmethod
    def _checked(answer: Mapping[str, Any]) -> Mapping[str, Any]:
        if answer.get("userErrors"):
            raise ConnectorError(
                "; ".join(f"{e.get('field')}: {e['message']}" for e in answer["userErrors"])
            )
        return answer

    def _graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        answer = send_json(
            "POST",
            f"{self.base_url}/admin/api/{API_VERSION}/graphql.json",
            body={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": self.credentials.get("access_token", "")},
        )
        if answer.get("errors"):
            codes = {(e.get("extensions") or {}).get("code") for e in answer["errors"]}
            message = "; ".join(e.get("message", "").strip() for e in answer["errors"])
            if "MAX_COST_EXCEEDED" in codes:
                # The same query would be refused again: not retried, shown on the connection.
                message = f"Shopify refused a query of Retour's as too costly: {message}"
            # THROTTLED: the bucket of points is empty for now; the job retries with backoff.
            raise ConnectorError(message, retryable="THROTTLED" in codes)
        return answer["data"]


def _export(node: Mapping[str, Any]) -> Export:
    status = node["status"]
    error = f"{status} ({node['errorCode']})" if node.get("errorCode") else status
    return Export(node["id"], status, node.get("createdAt") or "", node.get("url"), error)


DONE = {"hasNextPage": False, "endCursor": None}


def _grouped_orders(lines: Iterator[bytes], offset: int) -> Iterator[tuple[dict[str, Any], int]]:
    """Rebuild each order of a bulk export (grouped: a node's lines follow its order's) with its
    connections' nodes; each with the byte offset where the next order begins."""
    order: dict[str, Any] | None = None
    position = offset
    for raw in lines:
        start, position = position, position + len(raw)
        if not raw.strip():
            continue
        row = json.loads(raw)
        parent = row.pop("__parentId", None)
        if parent is None:
            if order is not None:
                yield order, start
            order = row | {LINE_ITEMS.name: {"pageInfo": DONE, "nodes": []}}
            order[SHIPPING_LINES.name] = {"pageInfo": DONE, "nodes": []}
            continue
        if order is None or parent != order["id"]:
            raise ConnectorError(f"the export's line of {parent} is not under its order")
        order[BULK_CHILDREN[row.pop("__typename")]]["nodes"].append(row)
    if order is not None:
        yield order, position


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None
