import base64
import copy
import dataclasses
import json
import re

import pytest

from retour.connectors import services
from retour.core.actors import Actor
from tests.connectors import shopify_samples as samples
from tests.connectors.shopify_cost import MAX_COST, refusal, requested_cost
from tests.logistics.fake_carrier import Answer, FakeCarrier, start

SECRET = "shpss_test_secret"
GRAPHQL = "/admin/api/2026-04/graphql.json"


@pytest.fixture
def fake():
    """A local HTTP server standing in for the platform's API."""
    platform = FakeCarrier()
    server, thread = start(platform)
    yield platform
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.RETOUR_CONNECTORS = {**settings.RETOUR_CONNECTORS, "HTTP_TIMEOUT": 1}


class Refused(Exception):
    """A query Shopify would refuse with a top-level `errors` answer."""


def _cursor(index: int) -> str:
    return base64.b64encode(json.dumps({"last": index}).encode()).decode()


class ShopifyAdmin:
    """Answers the Admin GraphQL API the way Shopify documents it: `order(id:)`, `orders` pages,
    `fulfillment(id:)`, `refundCreate`, `productVariants`, `inventoryAdjustQuantities`,
    `storeCreditAccountCredit`.

    Orders are kept whole (every line item, fulfillment, transaction) and answered as the query
    asks: a connection (`lineItems`, `shippingLines`, `fulfillmentLineItems`) one page of its
    `first` (at most 250, required) after its `after` cursor, with its `pageInfo`; a plain list
    (`transactions`, `fulfillments`) cut to its `first` when given; fields the query does not
    name are left out.

    Each query is priced first, by Shopify's rules (`shopify_cost`): one requesting more than
    `max_cost` points is refused whole (`MAX_COST_EXCEEDED`), the others answered with their
    `extensions.cost.requestedQueryCost`; `costs` keeps each query's price, in order.

    Bulk operations as Shopify's guide describes them: `bulkOperationRunQuery` snapshots the
    shop's orders (refused with `OPERATION_IN_PROGRESS` while `bulk_busy` or ours runs, and
    `INVALID` for a connection inside a list field), `bulkOperation(id:)` answers the next of
    `bulk_statuses` (the last one stays) with the file's `url` once `COMPLETED`, and that URL
    serves the JSONL (`export_file`), honouring `Range`."""

    CONNECTIONS = ("lineItems", "shippingLines", "fulfillmentLineItems")
    LISTS = ("transactions", "fulfillments")
    TYPENAMES = {
        "lineItems": "LineItem",
        "shippingLines": "ShippingLine",
        "fulfillmentLineItems": "FulfillmentLineItem",
    }
    BULK_ID = "gid://shopify/BulkOperation/720918"
    BULK_PATH = "/bulk/720918.jsonl"

    def __init__(self, fake: FakeCarrier) -> None:
        self.fake = fake
        self.orders = {samples.ORDER_GID: samples.order_node()}
        self.pages: list[list[dict]] = []
        self.mutation_answers: dict[str, Answer] = {}
        self.max_cost = MAX_COST
        self.costs: list[int] = []
        self.bulk: dict | None = None
        self.bulk_statuses = ["RUNNING", "COMPLETED"]
        self.bulk_error_code: str | None = None
        self.bulk_created_at = "2026-03-10T08:00:00Z"
        self.bulk_busy = False
        fake.on("POST", GRAPHQL, self.answer)
        fake.on("GET", self.BULK_PATH, self.download)

    def answer(self, recorded):
        body = recorded.json()
        cost = requested_cost(body["query"], body["variables"])
        self.costs.append(cost)
        if cost > self.max_cost:
            return Answer(200, refusal(cost, self.max_cost))
        answer = self._answer(body["query"], body["variables"])
        if answer.status != 200 or not isinstance(answer.body, dict):
            return answer
        extensions = {"cost": {"requestedQueryCost": cost}}
        return dataclasses.replace(answer, body={**answer.body, "extensions": extensions})

    def _answer(self, query: str, variables: dict) -> Answer:
        for name, answer in self.mutation_answers.items():
            if name in query:
                return answer
        if "bulkOperationRunQuery" in query:
            run = self._run_bulk(variables["query"], grouped="groupObjects: true" in query)
            return Answer(200, {"data": {"bulkOperationRunQuery": run}})
        if "bulkOperation(id:" in query:
            return Answer(200, {"data": {"bulkOperation": self._bulk_status(variables["id"])}})
        if "refundCreate" in query:
            return Answer(
                200,
                {
                    "data": {
                        "refundCreate": {
                            "refund": {"id": "gid://shopify/Refund/929361464"},
                            "userErrors": [],
                        }
                    }
                },
            )
        if "inventoryAdjustQuantities" in query:
            return Answer(
                200,
                {
                    "data": {
                        "inventoryAdjustQuantities": {
                            "inventoryAdjustmentGroup": {
                                "id": "gid://shopify/InventoryAdjustmentGroup/1"
                            },
                            "userErrors": [],
                        }
                    }
                },
            )
        if "storeCreditAccountCredit" in query:
            return Answer(
                200,
                {
                    "data": {
                        "storeCreditAccountCredit": {
                            "storeCreditAccountTransaction": {
                                "id": "gid://shopify/StoreCreditAccountCreditTransaction/1"
                            },
                            "userErrors": [],
                        }
                    }
                },
            )
        if "productVariants" in query:
            return Answer(
                200,
                {
                    "data": {
                        "productVariants": {
                            "nodes": [
                                {
                                    "id": "gid://shopify/ProductVariant/1",
                                    "inventoryItem": {"id": "gid://shopify/InventoryItem/30322695"},
                                }
                            ]
                        }
                    }
                },
            )
        try:
            return Answer(200, {"data": self._read(query, variables)})
        except Refused as error:
            return Answer(200, {"errors": [{"message": str(error)}]})

    def _read(self, query: str, variables: dict) -> dict:
        if "orders(" in query:
            index = int(variables["after"] or 0)
            since = re.fullmatch(r"updated_at:>='([^']+)'", variables.get("query") or "")
            nodes = [n for n in self.pages[index] if not since or n["updatedAt"] >= since[1]]
            return {
                "orders": {
                    "pageInfo": {
                        "hasNextPage": index + 1 < len(self.pages),
                        "endCursor": str(index + 1),
                    },
                    "nodes": [self._shape(node, query, variables) for node in nodes],
                }
            }
        # The shop's orders: those answered by `order(id:)`, by id, and those of `orders` pages.
        listed = {node["id"]: node for page in self.pages for node in page}
        orders = {**listed, **self.orders}
        fulfillments = {f["id"]: f for o in orders.values() for f in o["fulfillments"]}
        aliased = re.findall(r"(\w+): fulfillment\(id: \$(\w+)\)", query)
        if aliased:
            return {
                alias: self._shape(fulfillments[variables[name]], query, variables)
                if variables[name] in fulfillments
                else None
                for alias, name in aliased
            }
        if "fulfillment(id:" in query:
            found = fulfillments.get(variables["id"])
            return {"fulfillment": self._shape(found, query, variables) if found else None}
        order = orders.get(variables["id"])
        return {"order": self._shape(order, query, variables) if order else None}

    def _shape(self, node: dict, query: str, variables: dict) -> dict:
        shaped = {}
        for key, value in node.items():
            if not re.search(rf"\b{key}\b", query):
                continue
            if key in self.CONNECTIONS:
                shaped[key] = self._page(key, value["nodes"], query, variables)
            elif key in self.LISTS:
                first = re.search(rf"\b{key}\(first: (\d+)\)", query)
                items = value[: int(first.group(1))] if first else value
                shaped[key] = [self._shape(item, query, variables) for item in items]
            else:
                shaped[key] = value
        return shaped

    def _page(self, name: str, items: list, query: str, variables: dict) -> dict:
        args = re.search(rf"\b{name}\(first: (\d+)(?:, after: \$(\w+))?\)", query)
        if not args:
            raise Refused(f"{name}: you must provide one of first or last")
        first = int(args.group(1))
        if first > 250:
            raise Refused(f"{name}: first cannot exceed 250")
        after = variables.get(args.group(2)) if args.group(2) else None
        start = json.loads(base64.b64decode(after))["last"] + 1 if after else 0
        chunk = items[start : start + first]
        return {
            "pageInfo": {
                "hasNextPage": start + first < len(items),
                "endCursor": _cursor(start + len(chunk) - 1) if chunk else None,
            },
            "nodes": chunk,
        }

    # ---- bulk operations ---------------------------------------------------------------------

    def _run_bulk(self, query: str, *, grouped: bool) -> dict:
        def refused(message: str, code: str, field=None) -> dict:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": field, "message": message, "code": code}],
            }

        if self.bulk_busy or (self.bulk and self.bulk["status"] in ("CREATED", "RUNNING")):
            return refused(
                "A bulk query operation for this app and shop is already in progress: "
                f"{self.BULK_ID}.",
                "OPERATION_IN_PROGRESS",
            )
        if "fulfillmentLineItems" in query:  # a connection inside the `fulfillments` list
            return refused(
                "Queries that contain a connection field within a list field are not "
                "currently supported.",
                "INVALID",
                ["query"],
            )
        orders = copy.deepcopy([node for page in self.pages for node in page])
        self.bulk = {
            "id": self.BULK_ID,
            "status": "CREATED",
            "createdAt": self.bulk_created_at,
            "query": query,
            "grouped": grouped,
            "orders": orders,  # the shop as it was when the operation began
        }
        return {
            "bulkOperation": {key: self.bulk[key] for key in ("id", "status", "createdAt")},
            "userErrors": [],
        }

    def _bulk_status(self, bulk_id: str) -> dict | None:
        if not self.bulk or bulk_id != self.bulk["id"]:
            return None
        status = self.bulk_statuses.pop(0) if len(self.bulk_statuses) > 1 else self.bulk_statuses[0]
        self.bulk["status"] = status
        done = status == "COMPLETED"
        return {
            "id": self.bulk["id"],
            "status": status,
            "errorCode": self.bulk_error_code if status == "FAILED" else None,
            "createdAt": self.bulk["createdAt"],
            "url": f"{self.fake.url}{self.BULK_PATH}?X-Goog-Signature=abc" if done else None,
        }

    def export_file(self) -> bytes:
        """The operation's JSONL: each order on a line with its plain fields and lists, each node
        of its connections on a line of its own with `__parentId` (and `__typename` when the
        query selects it) — right after its order when grouped, after every order otherwise."""
        query = self.bulk["query"]
        roots, children = [], []
        for node in self.bulk["orders"]:
            row, nested = {}, []
            for key, value in node.items():
                if not re.search(rf"\b{key}\b", query):
                    continue
                if key in self.CONNECTIONS:
                    typename = {"__typename": self.TYPENAMES[key]} if "__typename" in query else {}
                    nested += [
                        {**typename, **item, "__parentId": node["id"]} for item in value["nodes"]
                    ]
                elif key in self.LISTS:
                    row[key] = [self._shape(item, query, {}) for item in value]
                else:
                    row[key] = value
            roots.append([row, *nested] if self.bulk["grouped"] else [row])
            children += [] if self.bulk["grouped"] else nested
        rows = [row for group in roots for row in group] + children
        return b"".join(json.dumps(row).encode() + b"\n" for row in rows)

    def download(self, recorded):
        body = self.export_file()
        asked = re.fullmatch(r"bytes=(\d+)-", recorded.headers.get("Range", ""))
        if not asked:
            return Answer(200, body, "application/jsonl")
        start = int(asked[1])
        headers = {"Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
        return Answer(206, body[start:], "application/jsonl", headers=headers)

    def downloads(self):
        return self.fake.calls("GET", self.BULK_PATH)

    def reads(self) -> list[dict]:
        """The GraphQL reads made (mutations left out), in order."""
        return [
            r.json()
            for r in self.fake.calls("POST", GRAPHQL)
            if not r.json()["query"].lstrip().startswith("mutation")
        ]

    def mutations(self, name: str) -> list[dict]:
        return [r.json() for r in self.fake.calls("POST", GRAPHQL) if name in r.json()["query"]]


@pytest.fixture
def shopify(fake):
    return ShopifyAdmin(fake)


@pytest.fixture
def shopify_connection(store_a, fake):
    return services.connect(
        store=store_a,
        platform="shopify",
        base_url=fake.url,
        credentials={"access_token": "shpat_test", "webhook_secret": SECRET},
        options={"location_id": samples.LOCATION},
        actor=Actor.system("test"),
    )


def shopify_headers(
    body: bytes,
    topic="orders/create",
    webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    secret=SECRET,
):
    from retour.connectors.adapters.shopify import sign

    return {
        "HTTP_X_SHOPIFY_HMAC_SHA256": sign(body, secret),
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id,
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": "example.myshopify.com",
        "HTTP_X_SHOPIFY_API_VERSION": "2026-04",
    }


def post_webhook(client, store, platform, payload, headers):
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    return client.post(
        f"/connectors/{store.slug}/{platform}/webhook",
        data=body,
        content_type="application/json",
        **headers(body),
    )
