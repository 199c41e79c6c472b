import json

import pytest

from retour.connectors import services
from retour.core.actors import Actor
from tests.connectors import shopify_samples as samples
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


class ShopifyAdmin:
    """Answers the Admin GraphQL API the way Shopify documents it: `order(id:)`, `orders` pages,
    `refundCreate`, `productVariants`, `inventoryAdjustQuantities`, `storeCreditAccountCredit`."""

    def __init__(self, fake: FakeCarrier) -> None:
        self.fake = fake
        self.orders = {samples.ORDER_GID: samples.order_node()}
        self.pages: list[list[dict]] = []
        self.mutation_answers: dict[str, Answer] = {}
        fake.on("POST", GRAPHQL, self.answer)

    def answer(self, recorded):
        body = recorded.json()
        query, variables = body["query"], body["variables"]
        for name, answer in self.mutation_answers.items():
            if name in query:
                return answer
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
        if "orders(" in query:
            index = int(variables["after"] or 0)
            page = self.pages[index]
            return Answer(
                200,
                {
                    "data": {
                        "orders": {
                            "pageInfo": {
                                "hasNextPage": index + 1 < len(self.pages),
                                "endCursor": str(index + 1),
                            },
                            "nodes": page,
                        }
                    }
                },
            )
        return Answer(200, {"data": {"order": self.orders.get(variables["id"])}})

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
