"""Order payloads as a shop platform pushes them (for `OrderIn`, the service and the API)."""

from typing import Any


def order_payload(line_count: int = 2, **overrides: Any) -> dict[str, Any]:
    """A paid, delivered order: line L0 has 2 units, the others 1, at 10.00 each; `overrides`
    replace top-level fields."""
    items = [
        {
            "external_id": f"L{i}",
            "sku": f"TEE-{i}",
            "title": f"T-shirt {i}",
            "quantity": 2 if i == 0 else 1,
            "unit_price": "10.00",
            "product_external_id": f"P{i}",
        }
        for i in range(line_count)
    ]
    total = f"{sum(item['quantity'] for item in items) * 10}.00"
    payload = {
        "number": "5001",
        "email": "Shopper@Example.com",
        "currency": "EUR",
        "placed_at": "2025-03-01T10:00:00Z",
        "paid_at": "2025-03-01T10:01:00Z",
        "updated_at": "2025-03-02T08:00:00Z",
        "subtotal": total,
        "total": total,
        "shipping_address": {"line1": "1 rue X", "postcode": "75 001", "country": "fr"},
        "customer": {"email": "shopper@example.com", "first_name": "Sam"},
        "lines": items,
        "payments": [
            {
                "gateway": "stripe",
                "reference": "pi_1",
                "captured": total,
                "created_at": "2025-03-01T10:01:00Z",
            }
        ],
        "fulfillments": [
            {
                "external_id": "F1",
                "carrier": "colissimo",
                "tracking_number": "6A1",
                "shipped_at": "2025-03-02T08:00:00Z",
                "delivered_at": "2025-03-04T08:00:00Z",
                "lines": [
                    {"line_external_id": item["external_id"], "quantity": item["quantity"]}
                    for item in items
                ],
            }
        ],
    }
    payload.update(overrides)
    return payload
