"""PrestaShop: orders polled through the webservice and mapped exactly, resumable and in update
order; refunds written back as one credit slip (retries included), restocks as stock quantities,
store credit as a voucher."""

import base64
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from retour.commerce.models import Order
from retour.connectors import jobs, services
from retour.connectors.adapters import connector_for
from retour.connectors.adapters.base import ConnectorError
from retour.connectors.choices import EventStatus, WriteBackStatus
from retour.connectors.models import Connection, InboundEvent, WriteBack
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from tests.connectors.journey import refund_by_hand, return_one_unit
from tests.connectors.prestashop_fake import KEY, ZONE, PrestaShopWebservice
from tests.logistics.fake_carrier import Answer

pytestmark = pytest.mark.django_db
D = Decimal
FORMAT = "%Y-%m-%d %H:%M:%S"


@pytest.fixture
def shop(fake):
    return PrestaShopWebservice(fake)


@pytest.fixture
def connection(store_a, shop):
    return services.connect(
        store=store_a,
        platform="prestashop",
        base_url=shop.url,
        credentials={"webservice_key": KEY},
        options={"timezone": "Europe/Paris", "page_size": 2},
        actor=Actor.system("test"),
    )


def _poll() -> None:
    jobs.poll_platforms.enqueue()
    run_ready_jobs()


def _another_order(shop, id_, reference, date_upd):
    """One more order like the first, with its own lines."""
    row = dict(shop.data["orders"][0], id=id_, reference=reference, date_upd=date_upd)
    for detail in [d for d in shop.data["order_details"] if d["id_order"] == "5"]:
        shop.data["order_details"].append(
            dict(detail, id=detail["id"] * 10 + id_, id_order=str(id_))
        )
    return row


def _order_row(shop, **changes):
    row = shop.data["orders"][0]
    row.update(changes)
    return row


def test_a_polled_order_is_mapped_exactly(store_a, shop, connection):
    _poll()

    order = Order.objects.get(store=store_a, external_id="5")
    assert (order.number, order.currency, order.taxes_included) == ("XKBKNABJK", "EUR", True)
    assert (order.subtotal, order.total, order.tax_total) == (D("71.64"), D("66.64"), D("11.11"))
    # The free-shipping rule paid the shipping: no shipping to refund, 5 € off the items.
    assert (order.discount_total, order.shipping_total) == (D(5), D(0))
    shirt, mug = order.lines.order_by("external_id")
    assert (shirt.external_id, shirt.sku, shirt.quantity) == ("11", "demo_1", 2)
    assert (shirt.unit_price, shirt.tax, shirt.discount) == (D("28.68"), D("9.56"), D(0))
    assert (mug.sku, mug.quantity, mug.unit_price, mug.tax) == ("demo_11", 1, D("14.28"), D("2.38"))
    assert shirt.title == "Hummingbird printed t-shirt - Size : S- Color : White"
    payments = {p.reference: (p.gateway, p.method, p.captured) for p in order.payments.all()}
    assert payments == {
        "order_payment/6": ("Bank transfer", "other", D(20)),
        "ch_3MmlLrLkdIwHu7ix0snN0B15": ("Payments by card", "card", D("46.64")),
    }
    assert order.paid_at == datetime(2024, 5, 2, 10, 15, tzinfo=ZONE)
    (delivery,) = order.fulfillments.all()
    assert (delivery.carrier, delivery.tracking_number) == ("Colissimo", "6A12345678901")
    assert delivery.shipped_at == datetime(2024, 5, 3, 9, 0, tzinfo=ZONE)
    assert delivery.delivered_at is None  # shipped, not delivered yet
    shipped = {line.order_line.sku: line.quantity for line in delivery.lines.all()}
    assert shipped == {"demo_1": 2, "demo_11": 1}
    assert (order.customer.external_id, order.customer.first_name) == ("2", "John")
    assert (order.email, order.shipping_postcode, order.shipping_country) == (
        "pub@prestashop.com",
        "75002",
        "FR",
    )
    assert order.platform_updated_at == datetime(2024, 5, 3, 9, 0, 12, tzinfo=ZONE)


def test_the_delivery_is_dated_when_the_order_reaches_a_delivered_state(store_a, shop, connection):
    _poll()
    _order_row(shop, date_upd="2024-05-04 14:02:00", current_state="5")
    shop.data["order_histories"].append(
        {
            "id": 12,
            "id_employee": "0",
            "id_order_state": "5",
            "id_order": "5",
            "date_add": "2024-05-04 14:02:00",
        }
    )
    _poll()

    (delivery,) = Order.objects.get(store=store_a).fulfillments.all()
    assert delivery.delivered_at == datetime(2024, 5, 4, 14, 2, tzinfo=ZONE)


def _reach_state(shop, state: str, when: str) -> None:
    _order_row(shop, date_upd=when, current_state=state)
    shop.data["order_histories"].append(
        {"id": 12, "id_employee": "0", "id_order_state": state, "id_order": "5", "date_add": when}
    )


def test_the_delivered_states_are_the_connections_own(store_a, shop, connection):
    """PrestaShop flags no state delivered: a shop whose own "Delivered" state is 14 says so."""
    shop.data["order_states"].append(dict(shop.data["order_states"][4], id=14, name="Livrée"))
    Connection.objects.update(options={"timezone": "Europe/Paris", "delivered_states": ["14"]})
    _reach_state(shop, "5", "2024-05-04 14:02:00")
    _poll()
    (delivery,) = Order.objects.get(store=store_a).fulfillments.all()
    assert delivery.delivered_at is None  # 5 is not this shop's delivered state

    _reach_state(shop, "14", "2024-05-05 08:30:00")
    shop.data["order_histories"][-1]["id"] = 13
    _poll()

    delivery.refresh_from_db()
    assert delivery.delivered_at == datetime(2024, 5, 5, 8, 30, tzinfo=ZONE)


def test_the_key_is_never_sent_over_plain_http_but_to_a_loopback_address(store_a, shop):
    connection = services.connect(
        store=store_a,
        platform="prestashop",
        base_url="http://shop.example.com",
        credentials={"webservice_key": KEY},
        actor=Actor.system("test"),
    )

    with pytest.raises(ConnectorError, match="HTTPS only"):
        connector_for(connection).backfill("")
    assert shop.url.startswith("http://127.0.0.1")  # the other tests: loopback, allowed


def test_an_order_not_shipped_yet_has_no_delivery(store_a, shop, connection):
    shop.data["order_histories"] = shop.data["order_histories"][:2]

    _poll()

    assert not Order.objects.get(store=store_a).fulfillments.exists()


def test_requests_carry_the_key_as_basic_user_and_read_json_whole(shop, connection):
    _poll()

    (first, *_) = shop.fake.requests
    assert (
        first.headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    )
    assert "output_format=JSON" in first.path
    assert "display=full" in first.path
    assert "ws_key" not in first.path  # never the key in the address (it lands in logs)
    assert "filter[date_upd]=[1970-01-01+00:00:00,2999-12-31+23:59:59]" in first.path
    assert "date=1" in first.path
    assert "sort=[date_upd_ASC,id_ASC]" in first.path


def test_a_page_of_orders_costs_the_same_requests_for_one_order_or_two(store_a, shop, connection):
    Connection.objects.update(options={"timezone": "Europe/Paris", "page_size": 3})
    second = _another_order(shop, 6, "YLMBQWERT", "2024-05-03 10:00:00")
    _poll()
    one = len(shop.fake.requests)
    shop.data["orders"].append(second)
    shop.fake.requests.clear()
    Connection.objects.update(cursor="")

    _poll()

    assert len(shop.fake.requests) == one
    assert Order.objects.filter(store=store_a).count() == 2


def test_the_poll_pages_by_update_time_and_resumes_from_its_cursor(store_a, shop, connection):
    base = shop.data["orders"][0]
    shop.data["orders"] += [
        _another_order(shop, 6, "ORDERSIX", base["date_upd"]),  # the same second
        _another_order(shop, 7, "ORDERSEVEN", "2024-05-04 08:00:00"),
    ]

    _poll()  # pages of 2: the job reads the next page until the last

    assert set(Order.objects.values_list("number", flat=True)) == {
        "XKBKNABJK",
        "ORDERSIX",
        "ORDERSEVEN",
    }
    assert Connection.objects.get().cursor == "2024-05-04 08:00:00|7"
    shop.fake.requests.clear()
    _order_row(shop, date_upd="2024-05-05 12:00:00", email="ignored@example.com")
    shop.data["customers"][0]["email"] = "new@example.com"

    _poll()  # the next poll reads only what changed since

    assert Order.objects.get(external_id="5").email == "new@example.com"
    read = [r for r in shop.fake.requests if r.path.startswith("/api/orders?")]
    assert "filter[date_upd]=[2024-05-04+08:00:00,2024-05-04+08:00:00]" in read[0].path
    assert "filter[id]=[8,4294967295]" in read[0].path


def test_the_same_update_read_twice_changes_nothing(store_a, shop, connection):
    _poll()
    Connection.objects.update(cursor="")

    _poll()

    assert InboundEvent.objects.count() == 1
    assert Order.objects.filter(store=store_a).count() == 1


def test_an_older_update_never_overwrites_a_newer_one(store_a, shop, connection):
    _order_row(shop, date_upd="2024-05-06 10:00:00")
    shop.data["customers"][0]["email"] = "new@example.com"
    _poll()
    # The shop answers an older state of the order (a restored copy, a lagging replica).
    _order_row(shop, date_upd="2024-05-03 09:00:12")
    shop.data["customers"][0]["email"] = "old@example.com"
    Connection.objects.update(cursor="")

    _poll()

    assert Order.objects.get(store=store_a).email == "new@example.com"
    statuses = sorted(InboundEvent.objects.values_list("status", flat=True))
    assert statuses == [EventStatus.APPLIED, EventStatus.IGNORED]


def test_a_bad_key_is_shown_and_not_retried(store_a, shop, connection):
    connection.set_credentials({"webservice_key": "WRONG"})
    connection.save()

    _poll()

    assert "401" in Connection.objects.get().last_error
    assert not Order.objects.exists()
    assert len(shop.fake.requests) == 1


@pytest.mark.parametrize("failure", [Answer(503, {"errors": []}), Answer(200, {}, delay=2)])
def test_a_shop_down_or_slow_is_retried(store_a, shop, connection, failure, settings):
    settings.RETOUR_JOBS = {**settings.RETOUR_JOBS, "BACKOFF_BASE": 0}
    shop.failures[("GET", "order_details")] = [failure]

    _poll()
    run_ready_jobs()

    assert Order.objects.filter(store=store_a, external_id="5").exists()
    assert Connection.objects.get().last_error  # the failure was shown meanwhile


def test_a_webhook_to_a_polled_platform_is_refused(store_a, connection):
    response = Client().post(
        f"/connectors/{store_a.slug}/prestashop/webhook",
        data=b"{}",
        content_type="application/json",
    )

    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


# ---- write-back ---------------------------------------------------------------------------------


def _recent(shop):
    """The order placed five days ago, delivered two days ago (within the return window)."""
    now = datetime.now(ZONE)
    _order_row(shop, date_add=(now - timedelta(days=5)).strftime(FORMAT))
    shop.data["order_histories"].append(
        {
            "id": 12,
            "id_employee": "0",
            "id_order_state": "5",
            "id_order": "5",
            "date_add": (now - timedelta(days=2)).strftime(FORMAT),
        }
    )


def _returned_and_refunded(store, owner, shop):
    """The shopper returns one T-shirt; it is received, graded A, restocked; finance refunds it
    by hand (manual gateway)."""
    _recent(shop)
    _poll()
    order = Order.objects.get(store=store, external_id="5")
    return refund_by_hand(return_one_unit(order.lines.get(external_id="11"), owner), owner)


def _slip_posts(shop):
    sent = shop.calls("POST", "order_slip")
    return [ET.fromstring(r.body).find("order_slip") for r in sent]  # noqa: S314 - ours


def test_a_refund_is_written_back_as_one_credit_slip(store_a, owner_a, shop, connection):
    refund = _returned_and_refunded(store_a, owner_a, shop)
    run_ready_jobs()

    (slip,) = _slip_posts(shop)
    paid = refund.lines.get().amount
    assert slip.findtext("id_order") == "5"
    assert slip.findtext("id_customer") == "2"
    assert D(slip.findtext("total_products_tax_incl")) == paid
    detail = slip.find("associations/order_slip_details/order_slip_detail")
    assert (detail.findtext("id_order_detail"), detail.findtext("product_quantity")) == ("11", "1")
    assert D(detail.findtext("amount_tax_incl")) == paid
    # Tax taken off at the line's own rate (20 %): 28.68 → 23.90 before the discount share.
    assert D(detail.findtext("amount_tax_excl")) == (paid / D("1.2")).quantize(D("0.01"))
    assert D(slip.findtext("total_shipping_tax_incl")) == 0
    write_back = WriteBack.objects.get(kind="refund")
    assert (write_back.status, write_back.remote_id) == (WriteBackStatus.SENT, "1")
    assert len(shop.data["order_slip"]) == 1


def test_a_slip_whose_answer_was_lost_is_not_made_twice(
    store_a, owner_a, shop, connection, settings
):
    settings.RETOUR_JOBS = {**settings.RETOUR_JOBS, "BACKOFF_BASE": 0}
    shop.failures[("POST", "order_slip")] = [Answer(500, "after-write")]

    _returned_and_refunded(store_a, owner_a, shop)
    run_ready_jobs()
    run_ready_jobs()

    assert len(shop.data["order_slip"]) == 1  # made by the first try, found by the second
    assert len(shop.calls("POST", "order_slip")) == 1
    write_back = WriteBack.objects.get(kind="refund")
    assert write_back.status == WriteBackStatus.SENT
    assert write_back.attempts == 2
    assert write_back.remote_id == str(shop.data["order_slip"][0]["id"])


def test_a_restock_sets_the_stock_quantity_plus_the_units_back(store_a, owner_a, shop, connection):
    _returned_and_refunded(store_a, owner_a, shop)
    restock = WriteBack.objects.get(kind="restock")

    services.push_write_back(restock.pk)  # its delayed job, run now

    (put,) = shop.calls("PUT", "stock_availables")
    assert put.path.startswith("/api/stock_availables/31?")
    sent = ET.fromstring(put.body)  # noqa: S314 - what Retour sent
    assert sent.findtext("stock_available/quantity") == "21"
    assert shop.data["stock_availables"][0]["quantity"] == "21"
    assert WriteBack.objects.get(pk=restock.pk).status == WriteBackStatus.SENT


def test_a_restock_whose_answer_was_lost_is_failed_for_staff_not_retried(
    store_a, owner_a, shop, connection
):
    _returned_and_refunded(store_a, owner_a, shop)
    restock = WriteBack.objects.get(kind="restock")
    shop.failures[("PUT", "stock_availables")] = [Answer(500, "after-write")]

    jobs.push_write_back.enqueue(restock.pk)
    run_ready_jobs()

    restock.refresh_from_db()
    assert restock.status == WriteBackStatus.FAILED
    assert "check it" in restock.last_error
    assert len(shop.calls("PUT", "stock_availables")) == 1


def _connector(connection):
    from retour.connectors.adapters import connector_for

    return connector_for(Connection.objects.get(pk=connection.pk))


def test_store_credit_is_one_voucher_for_the_customer_even_when_sent_twice(shop, connection):
    from retour.connectors.adapters.base import CreditFacts

    connector = _connector(connection)
    request = connector.credit_request(
        CreditFacts("2", "pub@prestashop.com", D("12.50"), "EUR", "SC-0001")
    )

    first = connector.send(request, idempotency_key="retour-credit-8f14e45f")
    again = connector.send(request, idempotency_key="retour-credit-8f14e45f")

    (voucher,) = shop.data["cart_rules"]
    assert first.remote_id == again.remote_id == str(voucher["id"])
    assert (voucher["id_customer"], voucher["reduction_amount"]) == ("2", "12.50")
    assert (voucher["reduction_currency"], voucher["quantity"]) == ("1", "1")
    assert voucher["code"] == "RTRETOURCREDIT8F14E45F"
    assert voucher["name"] == {"1": "Retour SC-0001"}


def test_a_refund_the_platform_should_pay_is_refused_without_a_slip(shop, connection):
    from retour.connectors.adapters.base import (
        ConnectorError,
        PaymentPartFacts,
        RefundFacts,
        RefundLineFacts,
    )

    connector = _connector(connection)
    request = connector.refund_request(
        RefundFacts(
            order_external_id="5",
            currency="EUR",
            reference="RF-1",
            rma="R-1",
            lines=[RefundLineFacts("11", 1, D("26.18"), 0)],
            shipping=D(0),
            amount=D("26.18"),
            parts=[PaymentPartFacts("ch_3MmlLrLkdIwHu7ix0snN0B15", "Payments by card", D("26.18"))],
        )
    )

    with pytest.raises(ConnectorError) as raised:
        connector.send(request, idempotency_key="rf-1")

    assert not raised.value.retryable
    assert not shop.calls("POST", "order_slip")


def test_a_recorded_poll_replayed_reads_the_order_again(store_a, shop, connection):
    _poll()
    event = InboundEvent.objects.get()
    _order_row(shop, date_upd="2024-05-07 08:00:00")
    shop.data["customers"][0]["email"] = "fixed@example.com"
    shop.fake.requests.clear()

    services.replay_event(event=event, actor=Actor.system("test"))
    run_ready_jobs()

    assert InboundEvent.objects.get().status == EventStatus.APPLIED
    assert Order.objects.get(store=store_a).email == "fixed@example.com"
    assert "filter[id]=[5]" in shop.fake.requests[0].path


# ---- multistore ---------------------------------------------------------------------------------


def _two_shops(shop):
    """A multistore install: the demo order in shop 1, order 6 in shop 2, and the T-shirt's stock
    kept in each shop."""
    second = _another_order(shop, 6, "SHOPTWO", "2024-05-03 10:00:00")
    shop.data["orders"].append(second | {"id_shop": "2"})
    tshirt = shop.data["stock_availables"][0]
    shop.data["stock_availables"].append(tshirt | {"id": 32, "id_shop": "2", "quantity": "7"})


def _for_shop(shop_id):
    Connection.objects.update(options={"timezone": "Europe/Paris", "shop_id": shop_id})


def _query(recorded):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(recorded.path).query))


def test_a_connection_to_one_shop_imports_only_that_shops_orders(store_a, shop, connection):
    _two_shops(shop)
    _for_shop(2)

    _poll()

    assert list(Order.objects.values_list("number", flat=True)) == ["SHOPTWO"]
    orders = shop.calls("GET", "orders")
    assert orders
    assert all(_query(r)["filter[id_shop]"] == "[2]" for r in orders)
    assert all(_query(r)["id_shop"] == "2" for r in shop.fake.requests)


def test_without_a_shop_id_the_orders_of_every_shop_are_imported(store_a, shop, connection):
    _two_shops(shop)

    _poll()

    assert set(Order.objects.values_list("number", flat=True)) == {"XKBKNABJK", "SHOPTWO"}
    assert not any("id_shop" in r.path for r in shop.fake.requests)


def test_a_replayed_order_is_read_again_from_the_connections_shop(store_a, shop, connection):
    _two_shops(shop)
    _for_shop(2)
    _poll()
    shop.fake.requests.clear()

    services.replay_event(event=InboundEvent.objects.get(), actor=Actor.system("test"))
    run_ready_jobs()

    (read, *_) = shop.calls("GET", "orders")
    assert (_query(read)["filter[id]"], _query(read)["filter[id_shop]"]) == ("[6]", "[2]")


def test_write_backs_go_to_the_connections_shop(store_a, owner_a, shop, connection):
    _two_shops(shop)
    _order_row(shop, id_shop="2")  # the demo order, placed in shop 2 this time
    _for_shop(2)
    _returned_and_refunded(store_a, owner_a, shop)
    run_ready_jobs()
    restock = WriteBack.objects.get(kind="restock")

    services.push_write_back(restock.pk)

    (put,) = shop.calls("PUT", "stock_availables")
    assert put.path.startswith("/api/stock_availables/32?")  # shop 2's row, not shop 1's
    stock = {row["id"]: row["quantity"] for row in shop.data["stock_availables"]}
    assert (stock[31], stock[32]) == ("20", "8")
    (slip,) = shop.calls("POST", "order_slip")
    assert _query(put)["id_shop"] == _query(slip)["id_shop"] == "2"


def test_a_key_not_allowed_on_the_shop_is_shown_and_not_retried(store_a, shop, connection):
    shop.key_shops = {1}
    _for_shop(2)

    _poll()

    assert "No permission for this key on this shop" in Connection.objects.get().last_error
    assert not Order.objects.exists()
    assert len(shop.fake.requests) == 1
