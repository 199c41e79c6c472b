"""Shopify's payloads as its documentation shows them (the `orders/create` webhook body, the
Admin GraphQL `Order` object), for an order with a discount code, taxes included, a discounted
shipping line, two payments (a gift card and a card captured after authorisation, plus a
declined attempt) and a partial fulfilment."""

import copy

ORDER_GID = "gid://shopify/Order/820982911946154508"
LINE_SHIRT = "gid://shopify/LineItem/466157049"
LINE_CAP = "gid://shopify/LineItem/518995019"
GIFT_CARD_SALE = "gid://shopify/OrderTransaction/389404469"
CARD_AUTH = "gid://shopify/OrderTransaction/801038806"
CARD_CAPTURE = "gid://shopify/OrderTransaction/1005341239"
CUSTOMER = "gid://shopify/Customer/115310627314723954"
LOCATION = "gid://shopify/Location/346779380"


def webhook_order(updated_at="2026-03-02T10:15:00-05:00"):
    """`orders/create` / `orders/updated` body (abridged from Shopify's webhook reference)."""
    return {
        "id": 820982911946154508,
        "admin_graphql_api_id": ORDER_GID,
        "name": "#9999",
        "email": "jon@example.com",
        "created_at": "2026-03-01T09:00:00-05:00",
        "updated_at": updated_at,
        "currency": "EUR",
        "taxes_included": True,
        "total_discounts": "6.00",
        "total_price": "69.90",
        "line_items": [{"id": 466157049, "sku": "IPOD2008GREEN", "quantity": 2}],
    }


def webhook_fulfillment():
    """`fulfillments/create` body (abridged)."""
    return {
        "id": 1069019878,
        "order_id": 820982911946154508,
        "status": "success",
        "created_at": "2026-03-02T11:00:00-05:00",
        "updated_at": "2026-03-02T11:00:00-05:00",
        "tracking_company": "La Poste",
        "tracking_number": "6A12345678901",
        "line_items": [{"id": 466157049, "quantity": 2}],
    }


def _money(amount):
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


ORDER_NODE = {
    "id": ORDER_GID,
    "name": "#9999",
    "email": "jon@example.com",
    "createdAt": "2026-03-01T14:00:00Z",
    "processedAt": "2026-03-01T14:00:00Z",
    "updatedAt": "2026-03-02T15:15:00Z",
    "currencyCode": "EUR",
    "taxesIncluded": True,
    "customer": {
        "id": CUSTOMER,
        "email": "jon@example.com",
        "firstName": "Jon",
        "lastName": "Snow",
        "phone": None,
    },
    "shippingAddress": {
        "address1": "12 rue de la Paix",
        "address2": None,
        "city": "Paris",
        "zip": "75002",
        "countryCodeV2": "FR",
    },
    "totalDiscountsSet": _money("6.0"),
    "totalTaxSet": _money("11.65"),
    "totalPriceSet": _money("69.9"),
    "lineItems": {
        "nodes": [
            {
                "id": LINE_SHIRT,
                "sku": "IPOD2008GREEN",
                "title": "T-shirt",
                "variantTitle": "Green / M",
                "quantity": 2,
                "product": {"id": "gid://shopify/Product/632910392", "productType": "apparel"},
                "originalUnitPriceSet": _money("25.0"),
                "discountAllocations": [{"allocatedAmountSet": _money("5.0")}],
                "taxLines": [{"priceSet": _money("7.5"), "rate": 0.2, "title": "TVA"}],
            },
            {
                "id": LINE_CAP,
                "sku": "CAP-RED",
                "title": "Cap",
                "variantTitle": None,
                "quantity": 1,
                "product": {"id": "gid://shopify/Product/921728736", "productType": "hats"},
                "originalUnitPriceSet": _money("20.0"),
                "discountAllocations": [],
                "taxLines": [{"priceSet": _money("3.33"), "rate": 0.2, "title": "TVA"}],
            },
        ]
    },
    "shippingLines": {
        "nodes": [{"originalPriceSet": _money("5.9"), "discountedPriceSet": _money("4.9")}]
    },
    "transactions": [
        {
            "id": GIFT_CARD_SALE,
            "kind": "SALE",
            "status": "SUCCESS",
            "gateway": "gift_card",
            "processedAt": "2026-03-01T14:00:00Z",
            "createdAt": "2026-03-01T14:00:00Z",
            "amountSet": _money("20.0"),
            "parentTransaction": None,
        },
        {
            "id": "gid://shopify/OrderTransaction/999225661",
            "kind": "SALE",
            "status": "FAILURE",
            "gateway": "shopify_payments",
            "processedAt": "2026-03-01T14:00:00Z",
            "createdAt": "2026-03-01T14:00:00Z",
            "amountSet": _money("49.9"),
            "parentTransaction": None,
        },
        {
            "id": CARD_AUTH,
            "kind": "AUTHORIZATION",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "processedAt": "2026-03-01T14:00:01Z",
            "createdAt": "2026-03-01T14:00:01Z",
            "amountSet": _money("49.9"),
            "parentTransaction": None,
        },
        {
            "id": CARD_CAPTURE,
            "kind": "CAPTURE",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "processedAt": "2026-03-01T16:00:00Z",
            "createdAt": "2026-03-01T16:00:00Z",
            "amountSet": _money("49.9"),
            "parentTransaction": {"id": CARD_AUTH},
        },
    ],
    "fulfillments": [
        {
            "id": "gid://shopify/Fulfillment/1069019878",
            "createdAt": "2026-03-02T16:00:00Z",
            "deliveredAt": "2026-03-04T10:00:00Z",
            "trackingInfo": [{"company": "La Poste", "number": "6A12345678901"}],
            "fulfillmentLineItems": {"nodes": [{"quantity": 2, "lineItem": {"id": LINE_SHIRT}}]},
        }
    ],
}


def order_node(**changes):
    node = copy.deepcopy(ORDER_NODE)
    node.update(changes)
    return node


BIG_ORDER_GID = "gid://shopify/Order/450789469"
BIG_FULFILLMENT = "gid://shopify/Fulfillment/255858046"


def big_order_node(*, lines=600, fulfilled=300):
    """A wholesale order of `lines` line items (one unit each, 10.00), a fulfillment of its
    first `fulfilled` ones, paid by card: more than one page of line items and of fulfillment
    line items."""
    items = [
        {
            "id": f"gid://shopify/LineItem/{100000 + n}",
            "sku": f"WHOLESALE-{n:04d}",
            "title": f"Item {n}",
            "variantTitle": None,
            "quantity": 1,
            "product": {"id": f"gid://shopify/Product/{200000 + n}", "productType": "bulk"},
            "originalUnitPriceSet": _money("10.0"),
            "discountAllocations": [],
            "taxLines": [],
        }
        for n in range(lines)
    ]
    total = f"{10 * lines}.0"
    return order_node(
        id=BIG_ORDER_GID,
        name="#20000",
        totalDiscountsSet=_money("0.0"),
        totalTaxSet=_money("0.0"),
        totalPriceSet=_money(total),
        lineItems={"nodes": items},
        shippingLines={"nodes": []},
        transactions=[
            {
                "id": "gid://shopify/OrderTransaction/711",
                "kind": "SALE",
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "processedAt": "2026-03-01T14:00:00Z",
                "createdAt": "2026-03-01T14:00:00Z",
                "amountSet": _money(total),
                "parentTransaction": None,
            }
        ],
        fulfillments=[
            {
                "id": BIG_FULFILLMENT,
                "createdAt": "2026-03-02T16:00:00Z",
                "deliveredAt": "2026-03-04T10:00:00Z",
                "trackingInfo": [{"company": "DHL", "number": "JD014600006281230704"}],
                "fulfillmentLineItems": {
                    "nodes": [
                        {"quantity": 1, "lineItem": {"id": item["id"]}}
                        for item in items[:fulfilled]
                    ]
                },
            }
        ],
    )
