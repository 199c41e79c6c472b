"""PrestaShop: orders read through the webservice API (`/api/`), polled (core PrestaShop sends
no signed webhooks); refunds written back as credit slips, restocks as `stock_availables`
quantities.

- Authentication: the webservice key as the HTTP basic user, no password. Reads ask for
  `output_format=JSON`; writes send the XML the webservice expects (it reads no JSON).
- Polling (`jobs.poll_platforms` → `backfill`): `orders` whose `date_upd` is at or after the
  cursor (`filter[date_upd]=[from,to]` with `date=1`, `sort=[date_upd_ASC,id_ASC]`,
  `limit=offset,count`). The cursor is `<date_upd of the last order read>|<how many orders of
  that second were read>`, so a stopped poll resumes exactly and orders sharing a second are
  not skipped. A page's related resources (`order_details`, `order_histories`/`order_states`,
  `order_carriers`, `order_cart_rules`, `order_payments`, `customers`, `addresses`) are read
  in one request each, filtered by the page's ids (`filter[id_order]=[1|2|3]`).
- Dates have no zone: they are in the shop's time zone (option `timezone`, default ours).
- Multistore (option `shop_id`): every request names the shop (`id_shop`), so that stock,
  products and currencies are that shop's and writes are made in its context; `orders` is not
  a per-shop resource for the webservice, so the orders are also filtered by `id_shop`. Without
  the option, requests go to the shop the address opens and orders of every shop are read.
- Mapping: prices with tax (what the shopper paid); cart rules are the order's discount (spread
  over the lines by Retour's refund calculation), less the shipping a free-shipping rule paid,
  which is taken off the shipping instead; one payment per `order_payments` row; one delivery
  when the order's history reaches a state flagged `shipped` (tracking from `order_carriers`),
  delivered at the first of the connection's `delivered_states` (PrestaShop has no such flag).
  PrestaShop ships an order as a whole: core has no per-line shipment.
- Write-back: a refund is a credit slip, `POST /api/order_slip` with its `order_slip_details`
  (the webservice creates the slip record only: it neither pays the shopper nor restocks; its
  PDF and the back office list show it). The webservice takes no idempotency key, so before
  creating a slip `send` looks for one on that order with the same lines and shipping created
  since the request was built: a retry after a lost answer finds it instead of making another.
  A restock reads the `stock_availables` row of the product (by SKU) and `PUT`s the quantity
  plus the units back; there is no increment nor key either, so a failed `PUT` is not retried
  blindly (it may have been applied): the write-back fails and staff check and retry it.
  Store credit is a one-customer voucher (`cart_rules`), looked up by its code before creating.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

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
    secure_url,
    send_bytes,
)
from retour.core.money import quantize

ZERO = Decimal("0")
EPOCH = "1970-01-01 00:00:00"
FOREVER = "2999-12-31 23:59:59"
MAX_ID = 4294967295  # PrestaShop's ids are unsigned INT
# The order states that mean delivered (option `delivered_states`): PrestaShop flags states
# paid and shipped but has no "delivered" flag; its own "Delivered" state is 5 (PS_OS_DELIVERED).
DELIVERED_STATES = ("5",)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
# The shop's clock and ours may differ a little: a slip this much older than the request is
# still taken for ours when its lines and amounts match.
CLOCK_SKEW = timedelta(minutes=2)
# What a `PUT stock_availables/<id>` carries (the row as read, with the new quantity).
STOCK_FIELDS = (
    "id",
    "id_product",
    "id_product_attribute",
    "id_shop",
    "id_shop_group",
    "depends_on_stock",
    "out_of_stock",
)


Money = Callable[[Any], Decimal]


def _d(value: Any) -> Decimal:
    return Decimal(str(value or "0"))


def _ids(rows: Iterable[Mapping[str, Any]], key: str) -> list[str]:
    return sorted({str(row[key]) for row in rows if str(row.get(key) or "0") != "0"})


class PrestaShopConnector:
    platform = "prestashop"
    receives_webhooks = False
    credential_names = ("webservice_key",)
    restocks_with_refund = False  # a credit slip made through the webservice restocks nothing

    def __init__(
        self, *, base_url: str, credentials: Mapping[str, Any], options: Mapping[str, Any]
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.options = options
        self.page_size = int(options.get("page_size", settings.RETOUR_CONNECTORS["PAGE_SIZE"]))
        self.zone = ZoneInfo(options.get("timezone") or settings.TIME_ZONE)
        self.delivered_states = {str(s) for s in options.get("delivered_states", DELIVERED_STATES)}
        self.shop_id = str(options.get("shop_id") or "")
        self._states: dict[str, Mapping[str, Any]] | None = None
        self._currencies: dict[str, str] | None = None

    # ---- inbound -------------------------------------------------------------------------------

    def is_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        return False

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        raise InvalidSignature("PrestaShop sends no webhooks: its orders are polled")

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """A recorded poll (its body the order as read), replayed: the order is read again."""
        row = json.loads(body)
        return Notice(
            key=f"poll:{row['id']}:{row['date_upd']}",
            topic="backfill",
            resource_id=str(row["id"]),
            updated_at=self._when(row["date_upd"]),
        )

    def fetch_order(self, resource_id: str) -> PlatformOrder | None:
        rows = self._list("orders", self._of_shop({"filter[id]": f"[{int(resource_id)}]"}))
        return self._map_page(rows)[0] if rows else None

    def backfill(self, cursor: str) -> Page:
        """The next page of orders by (`date_upd`, `id`) after the cursor: first the rest of
        the cursor's second, then the later ones. Keyed, not offset: an order updated while we
        page moves to the end and is read again there, none is skipped."""
        rows: list[Mapping[str, Any]] = []
        after = EPOCH
        if cursor:
            since, _, last_id = cursor.partition("|")
            rows = self._orders(
                {
                    "filter[date_upd]": f"[{since},{since}]",
                    "filter[id]": f"[{int(last_id) + 1},{MAX_ID}]",
                },
                self.page_size,
            )
            after = (self._when(since) + timedelta(seconds=1)).strftime(DATE_FORMAT)
        if len(rows) < self.page_size:
            rows += self._orders(
                {"filter[date_upd]": f"[{after},{FOREVER}]"}, self.page_size - len(rows)
            )
        if not rows:
            return Page(orders=[], cursor=cursor, done=True)
        return Page(
            orders=self._map_page(rows),
            cursor=f"{rows[-1]['date_upd']}|{rows[-1]['id']}",
            done=len(rows) < self.page_size,
        )

    def _orders(self, filters: Mapping[str, str], count: int) -> list[Mapping[str, Any]]:
        return self._list(
            "orders",
            self._of_shop(
                {**filters, "date": "1", "sort": "[date_upd_ASC,id_ASC]", "limit": f"0,{count}"}
            ),
        )

    def _of_shop(self, filters: Mapping[str, str]) -> dict[str, str]:
        """Orders' filters, plus the connection's shop: the shop context (`id_shop`) restricts
        only the resources the webservice keeps per shop, and orders are not among them."""
        return {**filters, **({"filter[id_shop]": f"[{self.shop_id}]"} if self.shop_id else {})}

    def _map_page(self, orders: list[Mapping[str, Any]]) -> list[PlatformOrder]:
        """The page's orders with their related rows, read in one request per resource."""
        order_ids = "|".join(_ids(orders, "id"))
        by_order = {
            resource: self._grouped(resource, {"filter[id_order]": f"[{order_ids}]"}, "id_order")
            for resource in (
                "order_details",
                "order_histories",
                "order_carriers",
                "order_cart_rules",
            )
        }
        references = "|".join(sorted({row["reference"] for row in orders}))
        payments = self._grouped(
            "order_payments", {"filter[order_reference]": f"[{references}]"}, "order_reference"
        )
        customers = self._by_id("customers", _ids(orders, "id_customer"))
        addresses = self._by_id("addresses", _ids(orders, "id_address_delivery"))
        countries = self._by_id("countries", _ids(addresses.values(), "id_country"))
        carriers = self._by_id(
            "carriers",
            _ids([c for rows in by_order["order_carriers"].values() for c in rows], "id_carrier"),
        )
        mapped = []
        for row in orders:
            key = str(row["id"])
            related = {resource: rows.get(key, []) for resource, rows in by_order.items()}
            address = addresses.get(str(row["id_address_delivery"]), {})
            facts = _Related(
                details=related["order_details"],
                history=related["order_histories"],
                carriers=related["order_carriers"],
                cart_rules=related["order_cart_rules"],
                payments=payments.get(row["reference"], []),
                customer=customers.get(str(row["id_customer"]), {}),
                address=address,
                country=countries.get(str(address.get("id_country")), {}).get("iso_code", ""),
                carrier_names={cid: c.get("name", "") for cid, c in carriers.items()},
            )
            try:
                mapped.append(self._map_order(row, facts))
            except ValueError as error:  # pydantic's ValidationError: named, shown, not retried
                raise ConnectorError(f"order {row['id']} does not fit Retour: {error}") from error
        return mapped

    def _map_order(self, row: Mapping[str, Any], facts: _Related) -> PlatformOrder:
        currency = self.currencies()[str(row["id_currency"])]

        def money(value: Any) -> Decimal:
            return quantize(_d(value), currency)

        lines = [_line(detail, money) for detail in facts.details]
        shipping = money(row["total_shipping_tax_incl"])
        # A free-shipping cart rule's value holds the shipping it paid: that part is not a
        # discount on the items but shipping the shopper did not pay.
        free_shipping = min(
            shipping,
            sum(
                (money(r["value"]) for r in facts.cart_rules if str(r["free_shipping"]) == "1"),
                ZERO,
            ),
        )
        flagged = self._dated_flags(facts.history)
        data = {
            "number": row["reference"],
            "email": facts.customer.get("email"),
            "currency": currency,
            "placed_at": self._when(row["date_add"]),
            "paid_at": flagged.get("paid"),
            "updated_at": self._when(row["date_upd"]),
            "taxes_included": True,
            "subtotal": sum((line["unit_price"] * line["quantity"] for line in lines), ZERO),
            "discount_total": money(row["total_discounts_tax_incl"]) - free_shipping,
            "shipping_total": shipping - free_shipping,
            "tax_total": money(row["total_paid_tax_incl"]) - money(row["total_paid_tax_excl"]),
            "total": money(row["total_paid_tax_incl"]),
            "shipping_address": _address(facts),
            "customer": _customer(facts),
            "lines": lines,
            "payments": [self._payment(p, money) for p in facts.payments],
            "fulfillments": self._deliveries(row, lines, facts, flagged),
        }
        return PlatformOrder(str(row["id"]), OrderIn.model_validate(data), row)

    def _payment(self, row: Mapping[str, Any], money: Money) -> dict[str, Any]:
        method = (row.get("payment_method") or "prestashop")[:50]
        return {
            "gateway": method,
            "method": "card" if row.get("card_brand") else "other",
            "reference": row.get("transaction_id") or f"order_payment/{row['id']}",
            "captured": money(row["amount"]),
            "created_at": self._when(row["date_add"]),
        }

    def _deliveries(
        self,
        row: Mapping[str, Any],
        lines: list[dict[str, Any]],
        facts: _Related,
        flagged: Mapping[str, datetime],
    ) -> list[dict[str, Any]]:
        """The order as one delivery once a `shipped` state was reached; its tracking from the
        latest `order_carriers` row that has one."""
        if "shipped" not in flagged:
            return []
        tracked = [c for c in facts.carriers if c.get("tracking_number")] or facts.carriers
        carrier = max(tracked, key=lambda c: int(c["id"])) if tracked else {}
        return [
            {
                "external_id": f"order/{row['id']}",
                "carrier": facts.carrier_names.get(str(carrier.get("id_carrier")), "")[:60],
                "tracking_number": (carrier.get("tracking_number") or "")[:100],
                "shipped_at": flagged["shipped"],
                "delivered_at": flagged.get("delivered"),
                "lines": [
                    {"line_external_id": line["external_id"], "quantity": line["quantity"]}
                    for line in lines
                ],
            }
        ]

    def _dated_flags(self, history: list[Mapping[str, Any]]) -> dict[str, datetime]:
        """When the order first reached a state flagged paid or shipped, or one of the
        connection's delivered states."""
        states = self.states()
        flagged: dict[str, datetime] = {}
        for entry in sorted(history, key=lambda h: (h["date_add"], int(h["id"]))):
            state_id = str(entry["id_order_state"])
            state = states.get(state_id, {})
            reached = [flag for flag in ("paid", "shipped") if str(state.get(flag, "0")) == "1"]
            if state_id in self.delivered_states:
                reached.append("delivered")
            for flag in reached:
                flagged.setdefault(flag, self._when(entry["date_add"]))
        if "delivered" in flagged:
            flagged.setdefault("shipped", flagged["delivered"])
        return flagged

    # ---- write-back ----------------------------------------------------------------------------

    def refund_request(self, facts: RefundFacts) -> dict[str, Any]:
        return {
            "operation": "order_slip",
            "order_id": facts.order_external_id,
            "reference": facts.reference,
            "lines": [
                {
                    "order_detail": line.line_external_id,
                    "quantity": line.quantity,
                    "amount": str(line.amount),
                }
                for line in facts.lines
            ],
            "shipping": str(facts.shipping),
            "pays": str(facts.amount),
            "not_before": timezone.now().isoformat(),
        }

    def restock_request(self, facts: RestockFacts) -> dict[str, Any]:
        return {"operation": "stock_available", "sku": facts.sku, "delta": facts.delta}

    def credit_request(self, facts: CreditFacts) -> dict[str, Any]:
        if not facts.customer_external_id:
            raise ConnectorError(f"{facts.email} is not a PrestaShop customer")
        return {
            "operation": "cart_rule",
            "customer": facts.customer_external_id,
            "amount": str(facts.amount),
            "currency": facts.currency,
            "name": f"Retour {facts.reference}"[:254],
        }

    def send(self, request: Mapping[str, Any], *, idempotency_key: str) -> Sent:
        operation = request["operation"]
        if operation == "order_slip":
            return self._send_slip(request)
        if operation == "stock_available":
            return self._send_stock(request)
        return self._send_voucher(request, code=_voucher_code(idempotency_key))

    def _send_slip(self, request: Mapping[str, Any]) -> Sent:
        if _d(request["pays"]) > 0:
            raise ConnectorError(
                "PrestaShop's webservice cannot pay a refund back: refund through another "
                "gateway (the credit slip then records it)"
            )
        order_id = int(request["order_id"])
        order = self._get("orders", order_id)
        currency = self.currencies()[str(order["id_currency"])]
        details = {
            str(d["id"]): d
            for d in self._list("order_details", {"filter[id_order]": f"[{order_id}]"})
        }
        slip = _slip_amounts(request, order, details, currency)
        found = self._existing_slip(order_id, slip, datetime.fromisoformat(request["not_before"]))
        if found:
            return Sent(found, {"order_slip": {"id": found}, "found": True})
        xml = _xml(
            "order_slip",
            slip["fields"],
            ("order_slip_details", "order_slip_detail", slip["details"]),
        )
        answer = self._write("POST", "order_slip", xml)
        return Sent(str(answer["order_slip"]["id"]), answer)

    def _existing_slip(self, order_id: int, slip: Mapping[str, Any], since: datetime) -> str:
        """A slip of this order with our lines and shipping, made since the request was built
        (by an earlier try whose answer was lost): then it is ours."""
        wanted = _slip_signature(slip["fields"]["total_shipping_tax_incl"], slip["details"])
        for row in self._list("order_slip", {"filter[id_order]": f"[{order_id}]"}):
            if self._when(row["date_add"]) < since - CLOCK_SKEW:
                continue
            details = (row.get("associations") or {}).get("order_slip_details", [])
            if _slip_signature(row["total_shipping_tax_incl"], details) == wanted:
                return str(row["id"])
        return ""

    def _send_stock(self, request: Mapping[str, Any]) -> Sent:
        product, combination = self._product_of(request["sku"])
        rows = self._list(
            "stock_availables",
            {
                "filter[id_product]": f"[{product}]",
                "filter[id_product_attribute]": f"[{combination}]",
            },
        )
        if not rows:
            raise ConnectorError(f"PrestaShop has no stock for the SKU {request['sku']}")
        row = rows[0]
        fields = {name: value for name, value in row.items() if name in STOCK_FIELDS}
        fields["quantity"] = int(row["quantity"]) + int(request["delta"])
        try:
            answer = self._write(
                "PUT", f"stock_availables/{row['id']}", _xml("stock_available", fields)
            )
        except ConnectorError as error:
            # No increment and no idempotency key: a PUT whose answer was lost may have been
            # applied. Retrying blindly could add the units twice; staff check, then retry.
            raise ConnectorError(f"stock may not be updated, check it: {error.message}") from error
        return Sent(str(row["id"]), answer)

    def _product_of(self, sku: str) -> tuple[str, str]:
        """(id_product, id_product_attribute) of a SKU: the `ps-<product>-<combination>` we
        give lines without a reference, else the combination or product with that reference."""
        if sku.startswith("ps-"):
            product, _, combination = sku[3:].partition("-")
            return product, combination or "0"
        for resource, product_key in (("combinations", "id_product"), ("products", "id")):
            rows = self._list(resource, {"filter[reference]": f"[{sku}]"})
            if rows:
                combination = str(rows[0]["id"]) if resource == "combinations" else "0"
                return str(rows[0][product_key]), combination
        raise ConnectorError(f"no PrestaShop product has the reference {sku}")

    def _send_voucher(self, request: Mapping[str, Any], *, code: str) -> Sent:
        found = self._list("cart_rules", {"filter[code]": f"[{code}]"})
        if found:
            return Sent(str(found[0]["id"]), {"cart_rule": found[0], "found": True})
        currency = {iso: cid for cid, iso in self.currencies().items()}.get(request["currency"])
        if currency is None:
            raise ConnectorError(f"PrestaShop has no currency {request['currency']}")
        now = timezone.now().astimezone(self.zone)
        fields = {
            "id_customer": request["customer"],
            "date_from": now.strftime(DATE_FORMAT),
            "date_to": (now + timedelta(days=int(self.options.get("credit_days", 365)))).strftime(
                DATE_FORMAT
            ),
            "name": {str(self.options.get("language_id", 1)): request["name"]},
            "quantity": 1,
            "quantity_per_user": 1,
            "partial_use": 1,
            "code": code,
            "reduction_amount": request["amount"],
            "reduction_tax": 1,
            "reduction_currency": currency,
            "active": 1,
        }
        answer = self._write("POST", "cart_rules", _xml("cart_rule", fields))
        return Sent(str(answer["cart_rule"]["id"]), answer)

    # ---- plumbing ------------------------------------------------------------------------------

    def states(self) -> dict[str, Mapping[str, Any]]:
        if self._states is None:
            self._states = {str(s["id"]): s for s in self._list("order_states", {})}
        return self._states

    def currencies(self) -> dict[str, str]:
        if self._currencies is None:
            self._currencies = {
                str(c["id"]): c["iso_code"].upper() for c in self._list("currencies", {})
            }
        return self._currencies

    def _when(self, value: str) -> datetime:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=self.zone)

    def _by_id(self, resource: str, ids: list[str]) -> dict[str, Mapping[str, Any]]:
        if not ids:
            return {}
        return {str(r["id"]): r for r in self._list(resource, {"filter[id]": f"[{'|'.join(ids)}]"})}

    def _grouped(self, resource: str, params, key: str) -> dict[str, list[Mapping[str, Any]]]:
        grouped: dict[str, list[Mapping[str, Any]]] = {}
        for row in self._list(resource, params):
            grouped.setdefault(str(row[key]), []).append(row)
        return grouped

    def _list(self, resource: str, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
        """A resource's rows, whole (`display=full`). The webservice answers `[]` when none."""
        answer = self._call("GET", resource, {**params, "display": "full"})
        return list(answer.get(resource, [])) if isinstance(answer, dict) else []

    def _get(self, resource: str, resource_id: int) -> Mapping[str, Any]:
        answer = self._call("GET", f"{resource}/{resource_id}", {})
        return next(iter(answer.values()))

    def _write(self, method: str, path: str, xml: bytes) -> dict[str, Any]:
        return self._call(method, path, {}, data=xml)

    def _call(self, method: str, path: str, params: Mapping[str, str], data: bytes | None = None):
        # The shop's context (multistore): its stock rows, products and currencies are read and
        # written, not those of the shop the address opens.
        shop = {"id_shop": self.shop_id} if self.shop_id else {}
        query = urllib.parse.urlencode({**params, **shop, "output_format": "JSON"}, safe="[]|,:")
        url = f"{self.base_url}/api/{path}?{query}"
        if not secure_url(url):
            raise ConnectorError("the webservice key is sent over HTTPS only")
        key = self.credentials.get("webservice_key", "")
        raw = send_bytes(
            method,
            url,
            data=data,
            content_type="application/xml",
            headers={"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()},
        )
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError as error:
            raise ConnectorError(f"{method} {path}: the webservice did not answer JSON") from error


@dataclass(frozen=True)
class _Related:
    """An order's rows from the other resources."""

    details: list[Mapping[str, Any]]
    history: list[Mapping[str, Any]]
    carriers: list[Mapping[str, Any]]
    cart_rules: list[Mapping[str, Any]]
    payments: list[Mapping[str, Any]]
    customer: Mapping[str, Any]
    address: Mapping[str, Any]
    country: str
    carrier_names: Mapping[str, str]


def _address(facts: _Related) -> dict[str, str]:
    address = facts.address
    return {
        "line1": address.get("address1", ""),
        "line2": address.get("address2", ""),
        "city": address.get("city", ""),
        "postcode": address.get("postcode", ""),
        "country": facts.country,
    }


def _customer(facts: _Related) -> dict[str, str] | None:
    customer, address = facts.customer, facts.address
    if not customer:
        return None
    return {
        "email": customer["email"],
        "first_name": customer.get("firstname", "")[:100],
        "last_name": customer.get("lastname", "")[:100],
        "phone": (address.get("phone_mobile") or address.get("phone") or "")[:40],
        "external_id": str(customer["id"]),
    }


def _line(detail: Mapping[str, Any], money: Money) -> dict[str, Any]:
    product, combination = detail["product_id"], detail.get("product_attribute_id") or "0"
    return {
        "external_id": str(detail["id"]),
        "sku": (detail.get("product_reference") or f"ps-{product}-{combination}")[:100],
        "title": detail["product_name"][:300],
        "quantity": int(detail["product_quantity"]),
        "unit_price": money(detail["unit_price_tax_incl"]),
        "tax": money(detail["total_price_tax_incl"]) - money(detail["total_price_tax_excl"]),
        "product_external_id": str(product),
    }


def _slip_amounts(request, order, details, currency: str) -> dict[str, Any]:
    """The slip's fields and lines, with the amounts without tax at each line's own rate."""

    def untaxed(amount: Decimal, incl: Any, excl: Any) -> Decimal:
        return quantize(amount * _d(excl) / _d(incl), currency) if _d(incl) else amount

    lines = []
    for line in request["lines"]:
        detail = details.get(str(line["order_detail"]))
        if detail is None:
            raise ConnectorError(f"order line {line['order_detail']} is not in order {order['id']}")
        amount = _d(line["amount"])
        excl = untaxed(amount, detail["unit_price_tax_incl"], detail["unit_price_tax_excl"])
        lines.append(
            {
                "id_order_detail": line["order_detail"],
                "product_quantity": line["quantity"],
                "amount_tax_excl": excl,
                "amount_tax_incl": amount,
            }
        )
    shipping = _d(request["shipping"])
    shipping_excl = untaxed(
        shipping, order["total_shipping_tax_incl"], order["total_shipping_tax_excl"]
    )
    products = sum((line["amount_tax_incl"] for line in lines), ZERO)
    fields = {
        "id_customer": order["id_customer"],
        "id_order": order["id"],
        "conversion_rate": order["conversion_rate"],
        "total_products_tax_excl": sum((line["amount_tax_excl"] for line in lines), ZERO),
        "total_products_tax_incl": products,
        "total_shipping_tax_excl": shipping_excl,
        "total_shipping_tax_incl": shipping,
        "amount": products,
        "shipping_cost": 1 if shipping else 0,
        "shipping_cost_amount": shipping,
        "partial": 1,
    }
    return {"fields": fields, "details": lines}


def _slip_signature(shipping: Any, details: Iterable[Mapping[str, Any]]) -> tuple:
    return (
        _d(shipping).normalize(),
        sorted(
            (
                str(d["id_order_detail"]),
                int(d["product_quantity"]),
                _d(d["amount_tax_incl"]).normalize(),
            )
            for d in details
        ),
    )


def _xml(resource: str, fields: Mapping[str, Any], children: tuple | None = None) -> bytes:
    """`<prestashop><resource>…</resource></prestashop>`, as the webservice reads it. A dict value
    is a multilingual field (`{language id: text}`); `children` is (association, row, rows)."""
    root = ET.Element("prestashop")
    node = ET.SubElement(root, resource)
    for name, value in fields.items():
        field = ET.SubElement(node, name)
        if isinstance(value, dict):
            for language, text in value.items():
                ET.SubElement(field, "language", id=str(language)).text = str(text)
        else:
            field.text = str(value)
    if children:
        association, row_name, rows = children
        group = ET.SubElement(ET.SubElement(node, "associations"), association)
        for row in rows:
            item = ET.SubElement(group, row_name)
            for name, value in row.items():
                ET.SubElement(item, name).text = str(value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _voucher_code(idempotency_key: str) -> str:
    """A cart rule code (letters and digits, at most 254) derived from our key."""
    return "RT" + "".join(ch for ch in idempotency_key.upper() if ch.isalnum())[-30:]
