"""A local stand-in for PrestaShop's webservice (`/api/`), answering as it documents: the key as
HTTP basic user, `output_format=JSON`, `display=full`, `filter[field]=[a|b]` (values) or
`[from,to]` (an interval; dates with `date=1`), `sort=[field_ASC,…]`, `limit=offset,count`, `[]`
when nothing matches; XML bodies for `POST order_slip`/`cart_rules` and `PUT stock_availables`.
Multistore: `id_shop` sets the shop context (by default the shop the address opens, 1), refused
(403) for a shop the key is not allowed on; `stock_availables`, kept per shop, are listed for the
context's shop (its own rows, or its group's when the group shares its stock); `orders` are not
restricted by the context, only by `filter[id_shop]`.

The rows are shaped like the webservice's JSON (ids as numbers, every other field a string), with
PrestaShop's demo data: an order of two lines with a cart rule and free shipping, two payments,
shipped by a carrier with a tracking number, not yet delivered.
"""

from __future__ import annotations

import base64
import copy
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.logistics.fake_carrier import Answer, FakeCarrier, Recorded

KEY = "UCCLLQ9N2ARSHWCXLT74KUKSSK34BFKX"
SHOP_GROUPS = {1: 1, 2: 1}  # shop id → its group: two shops, the first opened by the address
ZONE = ZoneInfo("Europe/Paris")
SINGULAR = {
    "orders": "order",
    "order_slip": "order_slip",
    "stock_availables": "stock_available",
    "cart_rules": "cart_rule",
}

ORDER = {
    "id": 5,
    "id_address_delivery": "5",
    "id_address_invoice": "5",
    "id_cart": "7",
    "id_currency": "1",
    "id_lang": "1",
    "id_customer": "2",
    "id_carrier": "2",
    "current_state": "4",
    "module": "ps_checkout",
    "invoice_number": "3",
    "invoice_date": "2024-05-02 10:15:00",
    "delivery_number": "2",
    "delivery_date": "2024-05-03 09:00:00",
    "valid": "1",
    "date_add": "2024-05-02 10:14:32",
    "date_upd": "2024-05-03 09:00:12",
    "shipping_number": "6A12345678901",
    "id_shop_group": "1",
    "id_shop": "1",
    "secure_key": "b44a6d9efd7a0076a0fbce6b15eaf3b1",
    "payment": "Payments by card",
    "recyclable": "0",
    "gift": "0",
    "gift_message": "",
    "mobile_theme": "0",
    "total_discounts": "13.400000",
    "total_discounts_tax_incl": "13.400000",
    "total_discounts_tax_excl": "11.170000",
    "total_paid": "66.640000",
    "total_paid_tax_incl": "66.640000",
    "total_paid_tax_excl": "55.530000",
    "total_paid_real": "66.640000",
    "total_products": "59.700000",
    "total_products_wt": "71.640000",
    "total_shipping": "8.400000",
    "total_shipping_tax_incl": "8.400000",
    "total_shipping_tax_excl": "7.000000",
    "carrier_tax_rate": "20.000",
    "total_wrapping": "0.000000",
    "total_wrapping_tax_incl": "0.000000",
    "total_wrapping_tax_excl": "0.000000",
    "round_mode": "2",
    "round_type": "2",
    "conversion_rate": "1.000000",
    "reference": "XKBKNABJK",
    "associations": {
        "order_rows": [
            {"id": "11", "product_id": "1", "product_attribute_id": "1", "product_quantity": "2"},
            {"id": "12", "product_id": "6", "product_attribute_id": "0", "product_quantity": "1"},
        ]
    },
}


def _detail(id_, product, combination, name, reference, quantity, incl, excl):
    total_incl, total_excl = f"{float(incl) * quantity:.6f}", f"{float(excl) * quantity:.6f}"
    return {
        "id": id_,
        "id_order": "5",
        "product_id": product,
        "product_attribute_id": combination,
        "product_quantity_reinjected": "0",
        "id_warehouse": "0",
        "id_shop": "1",
        "product_name": name,
        "product_quantity": str(quantity),
        "product_quantity_in_stock": str(quantity),
        "product_quantity_return": "0",
        "product_quantity_refunded": "0",
        "product_price": excl,
        "reduction_percent": "0.00",
        "reduction_amount": "0.000000",
        "reduction_amount_tax_incl": "0.000000",
        "reduction_amount_tax_excl": "0.000000",
        "product_ean13": "",
        "product_reference": reference,
        "tax_name": "TVA FR 20%",
        "tax_rate": "20.000",
        "total_price_tax_incl": total_incl,
        "total_price_tax_excl": total_excl,
        "unit_price_tax_incl": incl,
        "unit_price_tax_excl": excl,
        "original_product_price": excl,
    }


def _state(id_, name, paid="0", shipped="0"):
    return {
        "id": id_,
        "unremovable": "1",
        "delivery": "0",
        "hidden": "0",
        "send_email": "1",
        "invoice": paid,
        "color": "#3498D8",
        "logable": paid,
        "shipped": shipped,
        "paid": paid,
        "pdf_delivery": "0",
        "pdf_invoice": paid,
        "deleted": "0",
        "template": "",
        "name": name,
    }


def demo_data() -> dict[str, list[dict[str, Any]]]:
    return {
        "orders": [copy.deepcopy(ORDER)],
        "order_details": [
            _detail(
                11,
                "1",
                "1",
                "Hummingbird printed t-shirt - Size : S- Color : White",
                "demo_1",
                2,
                "28.680000",
                "23.900000",
            ),
            _detail(
                12, "6", "0", "Mug The best is yet to come", "demo_11", 1, "14.280000", "11.900000"
            ),
        ],
        "order_histories": [
            {
                "id": 9,
                "id_employee": "0",
                "id_order_state": "2",
                "id_order": "5",
                "date_add": "2024-05-02 10:15:00",
            },
            {
                "id": 10,
                "id_employee": "1",
                "id_order_state": "3",
                "id_order": "5",
                "date_add": "2024-05-02 16:40:00",
            },
            {
                "id": 11,
                "id_employee": "1",
                "id_order_state": "4",
                "id_order": "5",
                "date_add": "2024-05-03 09:00:00",
            },
        ],
        "order_states": [
            _state(1, "Awaiting check payment"),
            _state(2, "Payment accepted", paid="1"),
            _state(3, "Processing in progress", paid="1"),
            _state(4, "Shipped", paid="1", shipped="1"),
            _state(5, "Delivered", paid="1", shipped="1"),
        ],
        "order_carriers": [
            {
                "id": 4,
                "id_order": "5",
                "id_carrier": "2",
                "id_order_invoice": "3",
                "weight": "0.600000",
                "shipping_cost_tax_excl": "7.000000",
                "shipping_cost_tax_incl": "8.400000",
                "tracking_number": "6A12345678901",
                "date_add": "2024-05-02 10:14:33",
            },
        ],
        "order_cart_rules": [
            {
                "id": 1,
                "id_order": "5",
                "id_cart_rule": "3",
                "id_order_invoice": "3",
                "name": "Bienvenue -5 €",
                "value": "5.000000",
                "value_tax_excl": "4.170000",
                "free_shipping": "0",
            },
            {
                "id": 2,
                "id_order": "5",
                "id_cart_rule": "4",
                "id_order_invoice": "3",
                "name": "Livraison offerte",
                "value": "8.400000",
                "value_tax_excl": "7.000000",
                "free_shipping": "1",
            },
        ],
        "order_payments": [
            {
                "id": 6,
                "order_reference": "XKBKNABJK",
                "id_currency": "1",
                "amount": "20.000000",
                "payment_method": "Bank transfer",
                "conversion_rate": "1.000000",
                "transaction_id": "",
                "card_number": "",
                "card_brand": "",
                "card_expiration": "",
                "card_holder": "",
                "date_add": "2024-05-02 10:15:00",
            },
            {
                "id": 7,
                "order_reference": "XKBKNABJK",
                "id_currency": "1",
                "amount": "46.640000",
                "payment_method": "Payments by card",
                "conversion_rate": "1.000000",
                "transaction_id": "ch_3MmlLrLkdIwHu7ix0snN0B15",
                "card_number": "4242",
                "card_brand": "Visa",
                "card_expiration": "12/26",
                "card_holder": "John Doe",
                "date_add": "2024-05-02 10:15:01",
            },
        ],
        "customers": [
            {
                "id": 2,
                "id_default_group": "3",
                "id_lang": "1",
                "lastname": "DOE",
                "firstname": "John",
                "email": "pub@prestashop.com",
                "active": "1",
                "date_add": "2024-04-30 18:20:01",
                "date_upd": "2024-04-30 18:20:01",
            },
        ],
        "addresses": [
            {
                "id": 5,
                "id_customer": "2",
                "id_country": "8",
                "id_state": "0",
                "alias": "Mon adresse",
                "company": "",
                "lastname": "DOE",
                "firstname": "John",
                "address1": "16 rue de la Paix",
                "address2": "2e étage",
                "postcode": "75002",
                "city": "Paris",
                "phone": "0102030405",
                "phone_mobile": "0612345678",
                "deleted": "0",
            },
        ],
        "countries": [{"id": 8, "iso_code": "FR", "name": "France", "active": "1"}],
        "currencies": [
            {"id": 1, "name": "Euro", "iso_code": "EUR", "conversion_rate": "1.000000"},
        ],
        "carriers": [{"id": 2, "id_reference": "2", "name": "Colissimo", "active": "1"}],
        "order_slip": [],
        "stock_availables": [
            {
                "id": 31,
                "id_product": "1",
                "id_product_attribute": "1",
                "id_shop": "1",
                "id_shop_group": "0",
                "quantity": "20",
                "depends_on_stock": "0",
                "out_of_stock": "2",
                "location": "",
            },
            {
                "id": 40,
                "id_product": "6",
                "id_product_attribute": "0",
                "id_shop": "1",
                "id_shop_group": "0",
                "quantity": "3",
                "depends_on_stock": "0",
                "out_of_stock": "2",
                "location": "",
            },
        ],
        "combinations": [{"id": 1, "id_product": "1", "reference": "demo_1"}],
        "products": [{"id": 6, "reference": "demo_11"}],
        "cart_rules": [],
    }


def _matches(row: dict, field: str, condition: str, dates: bool) -> bool:
    value = str(row.get(field, ""))
    inner = condition.strip("[]")
    if "," in inner:
        low, high = inner.split(",", 1)
        if dates:
            return low <= value <= high
        return int(low) <= int(value) <= int(high)
    return value in inner.split("|")


def _in_shop(row: dict, shop: int) -> bool:
    """A per-shop row seen from the shop: its own, or its group's (stock shared by the group)."""
    own = str(row["id_shop"]) == str(shop)
    shared = str(row["id_shop"]) == "0" and str(row["id_shop_group"]) == str(SHOP_GROUPS[shop])
    return own or shared


class PrestaShopWebservice:
    """The fake shop: `data` holds its rows; `failures[(method, resource)]` answers queued
    errors first (after doing the write when `Answer.body == "after-write"`)."""

    def __init__(self, fake: FakeCarrier) -> None:
        self.fake = fake
        self.data = demo_data()
        self.failures: dict[tuple[str, str], list[Answer]] = {}
        self.key_shops = set(SHOP_GROUPS)  # the shops the key is allowed on
        fake.answer = self.answer

    @property
    def url(self) -> str:
        return self.fake.url

    def answer(self, recorded: Recorded) -> Answer:
        authorization = recorded.headers.get("Authorization", "")
        if authorization != "Basic " + base64.b64encode(f"{KEY}:".encode()).decode():
            return Answer(401, {"errors": [{"code": 17, "message": "Authentication key is empty"}]})
        url = urllib.parse.urlsplit(recorded.path)
        parts = url.path.removeprefix("/api/").split("/")
        resource, row_id = parts[0], (parts[1] if len(parts) > 1 else None)
        query = dict(urllib.parse.parse_qsl(url.query))
        shop = int(query.get("id_shop", "1"))
        if shop not in self.key_shops:
            message = "No permission for this key on this shop"
            return Answer(403, {"errors": [{"code": 132, "message": message}]})
        queued = self.failures.get((recorded.method, resource))
        if queued:
            failure = queued.pop(0)
            if failure.body != "after-write":
                return failure
            self._serve(recorded, resource, row_id, query, shop)
            return Answer(failure.status, {"errors": [{"code": 0, "message": "lost"}]})
        return self._serve(recorded, resource, row_id, query, shop)

    def _serve(self, recorded, resource, row_id, query, shop) -> Answer:
        rows = self.data.get(resource)
        if rows is None:
            return Answer(404, {"errors": [{"code": 22, "message": "Resource not found"}]})
        if recorded.method == "GET" and row_id:
            row = next((r for r in rows if str(r["id"]) == row_id), None)
            return Answer(200, {SINGULAR[resource]: row}) if row else Answer(404, {"errors": []})
        if recorded.method == "GET":
            if resource == "stock_availables":
                rows = [r for r in rows if _in_shop(r, shop)]
            return Answer(200, self._listed(resource, rows, query))
        fields = self._read_xml(recorded.body, SINGULAR[resource])
        if recorded.method == "PUT":
            row = next(r for r in rows if str(r["id"]) == row_id)
            row.update({k: v for k, v in fields.items() if k != "id"})
            return Answer(200, {SINGULAR[resource]: row})
        fields["id"] = max((r["id"] for r in rows), default=0) + 1
        fields["date_add"] = datetime.now(ZONE).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(fields)
        return Answer(201, {SINGULAR[resource]: fields})

    @staticmethod
    def _listed(resource: str, rows: list[dict], query: dict[str, str]) -> Any:
        dates = query.get("date") == "1"
        for key, condition in query.items():
            if key.startswith("filter["):
                field = key[7:-1]
                rows = [r for r in rows if _matches(r, field, condition, dates)]
        for rule in reversed(query.get("sort", "").strip("[]").split(",")):
            if rule:
                field, _, direction = rule.rpartition("_")
                rows = sorted(
                    rows,
                    key=lambda r, f=field: str(r[f]).zfill(12) if f == "id" else str(r[f]),
                    reverse=direction == "DESC",
                )
        if "limit" in query:
            offset, _, count = query["limit"].rpartition(",")
            rows = rows[int(offset or 0) : int(offset or 0) + int(count)]
        return {resource: copy.deepcopy(rows)} if rows else []

    @staticmethod
    def _read_xml(body: bytes, name: str) -> dict[str, Any]:
        node = ET.fromstring(body).find(name)  # noqa: S314 - what Retour sent, in a test
        fields: dict[str, Any] = {}
        for child in node:
            if child.tag == "associations":
                for association in child:
                    fields.setdefault("associations", {})[association.tag] = [
                        {item.tag: item.text or "" for item in row} for row in association
                    ]
            elif len(child):
                fields[child.tag] = {lang.get("id"): lang.text for lang in child}
            else:
                fields[child.tag] = child.text or ""
        return fields

    def calls(self, method: str, resource: str) -> list[Recorded]:
        return [
            r
            for r in self.fake.requests
            if r.method == method and r.path.split("?")[0].startswith(f"/api/{resource}")
        ]
