"""WooCommerce: order webhooks verified, recorded and applied once in update order, the order
mapped exactly from the documentation's examples, the history read page by page and resumed,
refunds written back with their lines, taxes, restock and who pays (a retry finds the refund its
lost try made), store credit skipped with its reason."""

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from retour.commerce.models import Customer, Order
from retour.connectors import services
from retour.connectors.adapters import connector_for
from retour.connectors.adapters.base import (
    ConnectorError,
    PaymentPartFacts,
    RefundFacts,
    RefundLineFacts,
)
from retour.connectors.adapters.woocommerce import sign
from retour.connectors.choices import EventStatus, WriteBackKind, WriteBackStatus
from retour.connectors.models import Connection, InboundEvent, WriteBack
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from retour.refunds import services as refunds
from retour.refunds.choices import Gateway, RefundStatus
from retour.refunds.models import RefundSettings
from tests.connectors.journey import refund_by_hand, return_one_unit
from tests.connectors.woocommerce_fake import (
    KEY,
    SECRET,
    WEBHOOK_SECRET,
    WooCommerceREST,
    order_723,
    order_727,
)
from tests.logistics.fake_carrier import Answer

pytestmark = pytest.mark.django_db
D = Decimal
GMT = "%Y-%m-%dT%H:%M:%S"
DELIVERY = "9b4ad6f1-0f5c-4a39-8c37-62d5a2f0d6c1"


@pytest.fixture
def shop(fake):
    return WooCommerceREST(fake)


@pytest.fixture
def connection(store_a, shop):
    return services.connect(
        store=store_a,
        platform="woocommerce",
        base_url=shop.url,
        credentials={
            "consumer_key": KEY,
            "consumer_secret": SECRET,
            "webhook_secret": WEBHOOK_SECRET,
        },
        actor=Actor.system("test"),
    )


def _post(store, payload, *, topic="order.updated", delivery=DELIVERY, secret=WEBHOOK_SECRET):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Client().post(
        f"/connectors/{store.slug}/woocommerce/webhook",
        data=body,
        content_type="application/json",
        HTTP_X_WC_WEBHOOK_SOURCE="https://example.com/",
        HTTP_X_WC_WEBHOOK_TOPIC=topic,
        HTTP_X_WC_WEBHOOK_RESOURCE=topic.split(".")[0],
        HTTP_X_WC_WEBHOOK_EVENT=topic.split(".")[1],
        HTTP_X_WC_WEBHOOK_SIGNATURE=sign(body, secret),
        HTTP_X_WC_WEBHOOK_ID="12",
        HTTP_X_WC_WEBHOOK_DELIVERY_ID=delivery,
    )


def _received(store, payload, **kwargs):
    answer = _post(store, payload, **kwargs)
    assert answer.status_code == 200, answer.content
    run_ready_jobs()
    return answer


# ---- orders in ----------------------------------------------------------------------------------


def test_an_order_with_a_coupon_taxes_and_shipping_is_mapped_exactly(store_a, connection):
    _received(store_a, order_727(), topic="order.created")

    order = Order.objects.get(store=store_a, external_id="727")
    assert (order.number, order.currency, order.taxes_included) == ("727", "USD", False)
    assert (order.subtotal, order.discount_total) == (D("18.00"), D("1.80"))
    assert (order.shipping_total, order.tax_total, order.total) == (D(10), D("1.22"), D("27.42"))
    single, idea = order.lines.order_by("external_id")
    assert (single.sku, single.quantity, single.unit_price) == ("wc-93-0", 2, D(3))
    assert (single.discount, single.tax) == (D("0.60"), D("0.41"))
    assert (idea.sku, idea.title) == ("Bar3", "Ship Your Idea – Color: Black, Size: M Test")
    assert (idea.unit_price, idea.discount, idea.tax) == (D(12), D("1.20"), D("0.81"))
    assert idea.options == {"pa_color": "black", "size": "M Test"}
    # What the shopper paid for each line is WooCommerce's total + total_tax.
    for line, paid in ((single, D("5.81")), (idea, D("11.61"))):
        assert line.unit_price * line.quantity - line.discount + line.tax == paid
    (payment,) = order.payments.all()
    assert (payment.gateway, payment.reference, payment.captured) == (
        "bacs",
        "order/727",
        D("27.42"),
    )
    assert payment.created_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert order.platform_updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert (order.email, order.shipping_postcode, order.shipping_country) == (
        "john.doe@example.com",
        "94103",
        "US",
    )
    assert not order.fulfillments.exists()  # processing: not shipped yet
    assert InboundEvent.objects.get().status == EventStatus.APPLIED


def test_prices_with_tax_are_kept_with_tax(store_a, connection):
    payload = order_727() | {"prices_include_tax": True}

    _received(store_a, payload)

    order = Order.objects.get(store=store_a)
    single = order.lines.get(external_id="315")
    assert order.taxes_included
    assert (single.unit_price, single.discount, single.tax) == (D("3.225"), D("0.64"), D("0.41"))
    assert order.discount_total == D("0.64") + D("1.29")  # the coupon, with its tax


def test_a_completed_order_is_shipped_whole_and_delivered_after_the_transit(store_a, connection):
    payload = order_723()
    payload["meta_data"].append(
        {
            "id": 13030,
            "key": "_wc_shipment_tracking_items",
            "value": [
                {
                    "tracking_provider": "usps",
                    "custom_tracking_provider": "",
                    "tracking_number": "9400111899223197428490",
                    "date_shipped": "1490126400",
                }
            ],
        }
    )

    _received(store_a, payload)

    order = Order.objects.get(store=store_a, external_id="723")
    (shipment,) = order.fulfillments.all()
    completed = datetime(2017, 3, 21, 19, 54, 51, tzinfo=UTC)
    assert (shipment.shipped_at, shipment.delivered_at) == (completed, completed + timedelta(3))
    assert (shipment.carrier, shipment.tracking_number) == ("usps", "9400111899223197428490")
    assert {(s.order_line.external_id, s.quantity) for s in shipment.lines.all()} == {
        ("311", 1),
        ("313", 1),
    }
    assert not order.payments.exists()  # the example was never paid (date_paid null)


def test_the_refunds_already_made_are_on_the_payment(store_a, connection):
    payload = order_723() | {"date_paid_gmt": "2017-03-21T19:20:00", "transaction_id": "tx-723"}

    _received(store_a, payload)

    (payment,) = Order.objects.get(store=store_a).payments.all()
    assert (payment.reference, payment.captured, payment.refunded) == ("tx-723", D(39), D(19))


def test_a_negative_fee_is_a_discount_and_a_positive_fee_a_charge(store_a, connection):
    payload = order_723() | {"total": "36.00"}
    payload["fee_lines"] = [
        {"id": 330, "name": "Loyalty", "total": "-5.00", "total_tax": "0.00", "taxes": []},
        {"id": 331, "name": "Gift wrap", "total": "2.00", "total_tax": "0.00", "taxes": []},
    ]

    _received(store_a, payload)

    order = Order.objects.get(store=store_a)
    assert (order.discount_total, order.shipping_total, order.total) == (D(5), D(12), D(36))


def test_a_bad_signature_is_refused_and_nothing_is_recorded(store_a, connection):
    answer = _post(store_a, order_727(), secret="not-the-secret")

    assert answer.status_code == 401
    assert not InboundEvent.objects.exists()


def test_a_replayed_delivery_is_one_event_applied_once(store_a, connection):
    first = _received(store_a, order_727())
    again = _received(store_a, order_727())

    assert first.json()["duplicate"] is False
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    assert InboundEvent.objects.count() == 1
    assert Order.objects.filter(store=store_a).count() == 1


def test_the_same_order_twice_under_two_deliveries_changes_nothing(store_a, connection):
    _received(store_a, order_727())
    _received(store_a, order_727(), delivery="another-delivery")

    statuses = sorted(InboundEvent.objects.values_list("status", flat=True))
    assert statuses == [EventStatus.APPLIED, EventStatus.IGNORED]


def test_an_older_update_arriving_late_never_overwrites_a_newer_one(store_a, connection):
    newer = order_727() | {"date_modified_gmt": "2017-03-23T08:00:00"}
    newer["billing"] = newer["billing"] | {"email": "new@example.com"}
    _received(store_a, newer, delivery="second")

    _received(store_a, order_727(), delivery="first")  # sent earlier, delivered later

    assert Order.objects.get(store=store_a).email == "new@example.com"
    assert InboundEvent.objects.get(key="first").status == EventStatus.IGNORED


def test_the_ping_of_a_new_webhook_is_answered_and_not_recorded(store_a, connection):
    answer = Client().post(
        f"/connectors/{store_a.slug}/woocommerce/webhook",
        data=b"webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )

    assert (answer.status_code, answer.json()) == (200, {"ping": True})
    assert not InboundEvent.objects.exists()


def test_a_deleted_order_is_recorded_and_ignored(store_a, connection):
    _received(store_a, order_727())

    _received(store_a, {"id": 727}, topic="order.deleted", delivery="deleted")

    assert InboundEvent.objects.get(key="deleted").status == EventStatus.IGNORED
    assert Order.objects.filter(store=store_a, external_id="727").exists()


def test_an_order_that_does_not_fit_is_kept_failed_with_its_error(store_a, shop, connection):
    payload = order_727()
    payload["billing"]["email"] = ""
    shop.orders[727] = payload  # the API answers the same order

    _received(store_a, payload)

    event = InboundEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert "order 727 does not fit Retour" in event.error
    assert "727" in Connection.objects.get().last_error


# ---- backfill -----------------------------------------------------------------------------------


def _backfill(connection):
    services.start_backfill(connection=connection, actor=Actor.system("test"))
    run_ready_jobs()


def test_the_backfill_reads_pages_by_modification_time_and_resumes(store_a, shop, connection):
    Connection.objects.update(options={"page_size": 2})
    third = order_727() | {"id": 728, "number": "728", "date_modified_gmt": "2017-03-22T19:28:08"}
    shop.orders[728] = third  # the same second as 727

    _backfill(connection)

    assert set(Order.objects.values_list("external_id", flat=True)) == {"723", "727", "728"}
    assert Connection.objects.get().cursor == "2017-03-22T19:28:08|2"
    first, second = shop.calls("GET", "/orders")[:2]
    assert "orderby=modified&order=asc&per_page=2&page=1" in first.path
    assert "modified_after=2017-03-22T19%3A28%3A07&dates_are_gmt=true" in second.path
    assert "page=1" in second.path
    assert first.headers["Authorization"].startswith("Basic ")

    shop.orders[723] = order_723() | {"date_modified_gmt": "2017-03-24T10:00:00"}
    shop.orders[723]["billing"]["email"] = "joao@example.org"
    shop.fake.requests.clear()

    _backfill(connection)  # a finished backfill starts again from the start

    assert Order.objects.get(external_id="723").email == "joao@example.org"


def test_a_stopped_backfill_resumes_from_its_cursor(store_a, shop, connection):
    Connection.objects.update(options={"page_size": 1}, cursor="2017-03-21T19:54:51|1")

    step = services.backfill_page(connection.pk)

    (read,) = shop.calls("GET", "/orders")
    assert "modified_after=2017-03-21T19%3A54%3A50" in read.path
    assert "page=2" in read.path  # the one order of that second was read: the next one
    assert step.done  # X-WP-TotalPages: 2, the last page
    assert list(Order.objects.values_list("external_id", flat=True)) == ["727"]


def test_a_backfill_over_plain_http_is_refused(store_a, connection):
    Connection.objects.update(base_url="http://shop.example.com")

    with pytest.raises(ConnectorError, match="HTTPS only"):
        services.backfill_page(connection.pk)


# ---- write-back ---------------------------------------------------------------------------------


def _recent(shop):
    """Order 727 placed six days ago, completed five days ago (delivered two days ago)."""
    now = datetime.now(UTC)
    order = shop.orders[727]
    order.update(
        status="completed",
        date_created_gmt=(now - timedelta(days=6)).strftime(GMT),
        date_modified_gmt=(now - timedelta(days=5)).strftime(GMT),
        date_paid_gmt=(now - timedelta(days=6)).strftime(GMT),
        date_completed_gmt=(now - timedelta(days=5)).strftime(GMT),
    )
    return order


def _returned(store, owner, shop, *, disposition=""):
    """The shopper returns one unit of line 315 (see `journey.return_one_unit`)."""
    _received(store, _recent(shop))
    order = Order.objects.get(store=store, external_id="727")
    return return_one_unit(order.lines.get(external_id="315"), owner, disposition=disposition)


def _returned_and_refunded(store, owner, shop, *, disposition=""):
    """`_returned`, then finance refunds it by hand (manual gateway)."""
    return refund_by_hand(_returned(store, owner, shop, disposition=disposition), owner)


def _query(path):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))


def _split(amount, tax, whole):
    refund_tax = (amount * tax / whole).quantize(D("0.01"))
    return amount - refund_tax, refund_tax


def test_a_refund_is_written_back_with_its_line_tax_and_restock_without_paying(
    store_a, owner_a, shop, connection
):
    refund = _returned_and_refunded(store_a, owner_a, shop)
    run_ready_jobs()

    (post,) = shop.calls("POST", "/orders/727/refunds")
    body = post.json()
    paid = refund.lines.get().amount
    untaxed, tax = _split(paid, D("0.41"), D("5.81"))
    assert body["api_refund"] is False  # finance paid it: WooCommerce must not pay again
    assert body["api_restock"] is True  # graded A, back on the shelf
    assert D(body["amount"]) == paid
    (item,) = body["line_items"]
    assert (item["id"], item["quantity"]) == (315, 1)
    assert (D(item["refund_total"]), item["refund_tax"]) == (
        untaxed,
        [{"id": 75, "refund_total": str(tax)}],
    )
    key = WriteBack.objects.get(kind=WriteBackKind.REFUND).idempotency_key
    assert body["meta_data"] == [{"key": "_retour_idempotency_key", "value": f"{key}#1"}]
    assert body["reason"].endswith(f"[{key}#1]")
    assert refund.reference in body["reason"]
    write_back = WriteBack.objects.get(kind=WriteBackKind.REFUND)
    assert (write_back.status, write_back.remote_id) == (WriteBackStatus.SENT, "901")
    assert shop.restocked == {315: 1}
    restock = WriteBack.objects.get(kind=WriteBackKind.RESTOCK)
    assert restock.status == WriteBackStatus.INCLUDED  # carried by the refund


def test_a_unit_not_restocked_is_refunded_without_restock(store_a, owner_a, shop, connection):
    _returned_and_refunded(store_a, owner_a, shop, disposition="donate")
    run_ready_jobs()

    (post,) = shop.calls("POST", "/orders/727/refunds")
    assert post.json()["api_restock"] is False
    assert shop.restocked == {}


def test_a_store_refunding_through_woocommerce_has_it_pay_once(
    store_a, owner_a, shop, connection, settings
):
    settings.RETOUR_JOBS = {**settings.RETOUR_JOBS, "BACKOFF_BASE": 0}
    RefundSettings.objects.create(store=store_a, gateway=Gateway.PLATFORM)
    shop.failures[("POST", "refunds")] = [Answer(500, "after-write")]  # made, answer lost
    return_request = _returned(store_a, owner_a, shop)

    refund = refunds.request_refund(return_request=return_request, actor=Actor.staff(owner_a))
    run_ready_jobs()
    run_ready_jobs()

    (post,) = shop.calls("POST", "/orders/727/refunds")
    assert (post.json()["api_refund"], D(post.json()["amount"])) == (True, refund.amount)
    (made,) = shop.refunds[727]  # the retry found it: WooCommerce paid once
    assert made["refunded_payment"] is True
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert {(a.gateway, a.gateway_reference) for a in refund.allocations.all()} == {
        (Gateway.PLATFORM, str(made["id"]))
    }


def _facts(**changes):
    facts = {
        "order_external_id": "727",
        "currency": "USD",
        "reference": "RF-7",
        "rma": "R-7",
        "lines": [
            RefundLineFacts("315", 2, D("5.81"), 1),
            RefundLineFacts("316", 1, D("11.61"), 0),
        ],
        "shipping": D(10),
        "amount": D(0),
        "parts": [],
    }
    return RefundFacts(**(facts | changes))


def test_restocked_and_kept_units_go_in_two_refunds_with_the_shipping_last(shop, connection):
    connector = connector_for(Connection.objects.get(pk=connection.pk))
    request = connector.refund_request(_facts())

    sent = connector.send(request, idempotency_key="rf-7")

    first, second = (r.json() for r in shop.calls("POST", "/orders/727/refunds"))
    assert (first["api_restock"], second["api_restock"]) == (True, False)
    assert [(i["id"], i["quantity"]) for i in first["line_items"]] == [(315, 1)]
    assert [(i["id"], i.get("quantity")) for i in second["line_items"]] == [
        (315, 1),
        (316, 1),
        (317, None),
    ]
    assert D(first["amount"]) + D(second["amount"]) == D("5.81") + D("11.61") + D(10)
    shipping = second["line_items"][-1]
    assert (shipping["refund_total"], shipping["refund_tax"]) == ("10.00", [])
    assert sent.remote_id == "901,902"
    assert shop.restocked == {315: 1}


def test_a_retry_after_a_lost_answer_finds_the_refund_instead_of_making_another(
    store_a, owner_a, shop, connection, settings
):
    settings.RETOUR_JOBS = {**settings.RETOUR_JOBS, "BACKOFF_BASE": 0}
    shop.failures[("POST", "refunds")] = [Answer(500, "after-write")]

    _returned_and_refunded(store_a, owner_a, shop)
    run_ready_jobs()
    run_ready_jobs()

    assert len(shop.refunds[727]) == 1  # made by the first try, found by the second
    assert len(shop.calls("POST", "/orders/727/refunds")) == 1
    assert len(shop.calls("GET", "/orders/727/refunds")) == 2
    write_back = WriteBack.objects.get(kind=WriteBackKind.REFUND)
    assert (write_back.status, write_back.attempts) == (WriteBackStatus.SENT, 2)
    assert write_back.remote_id == str(shop.refunds[727][0]["id"])


def test_a_retry_finds_its_refund_beyond_the_first_page_of_refunds(shop, connection):
    """A marketplace made 150 partial refunds after our lost try: ours is on the second page
    of the order's refunds (100 a page, newest first), and is found there, not made again."""
    connector = connector_for(Connection.objects.get(pk=connection.pk))
    request = connector.refund_request(
        _facts(lines=[RefundLineFacts("316", 1, D("11.61"), 0)], shipping=D(0))
    )
    shop.failures[("POST", "refunds")] = [Answer(502, "after-write")]
    with pytest.raises(ConnectorError):
        connector.send(request, idempotency_key="rf-7")
    (ours,) = shop.refunds[727]
    for n in range(150):
        shop.refund(727, {"amount": "0.01", "reason": f"Marketplace adjustment {n}"})
    shop.fake.requests.clear()

    sent = connector.send(request, idempotency_key="rf-7")

    assert sent.remote_id == str(ours["id"])
    assert len(shop.refunds[727]) == 151  # no second refund of ours
    assert not shop.calls("POST", "/orders/727/refunds")
    pages = [_query(r.path) for r in shop.calls("GET", "/orders/727/refunds")]
    assert [(q["page"], q["per_page"], q["orderby"], q["order"]) for q in pages] == [
        ("1", "100", "id", "desc"),
        ("2", "100", "id", "desc"),
    ]


def test_the_refunds_are_read_no_further_than_the_page_holding_ours(shop, connection):
    connector = connector_for(Connection.objects.get(pk=connection.pk))
    request = connector.refund_request(
        _facts(lines=[RefundLineFacts("316", 1, D("11.61"), 0)], shipping=D(0))
    )
    for n in range(150):  # older refunds, made before ours: on the pages after it
        shop.refund(727, {"amount": "0.01", "reason": f"Marketplace adjustment {n}"})
    connector.send(request, idempotency_key="rf-7")
    shop.fake.requests.clear()

    connector.send(request, idempotency_key="rf-7")  # sent again: found on the first page

    assert len(shop.calls("GET", "/orders/727/refunds")) == 1
    assert len(shop.refunds[727]) == 151


def test_a_refund_the_platform_pays_asks_woocommerce_to_pay_it(shop, connection):
    connector = connector_for(Connection.objects.get(pk=connection.pk))
    facts = _facts(
        lines=[RefundLineFacts("316", 1, D("11.61"), 0)],
        shipping=D(0),
        amount=D("11.61"),
        parts=[PaymentPartFacts("order/727", "bacs", D("11.61"))],
    )

    connector.send(connector.refund_request(facts), idempotency_key="rf-8-platform-a1")

    (post,) = shop.calls("POST", "/orders/727/refunds")
    assert (post.json()["api_refund"], post.json()["amount"]) == (True, "11.61")


def test_a_refund_the_platform_would_pay_only_in_part_is_refused(shop, connection):
    connector = connector_for(Connection.objects.get(pk=connection.pk))
    facts = _facts(
        lines=[RefundLineFacts("316", 1, D("11.61"), 0)],
        shipping=D(0),
        amount=D("5.00"),
        parts=[PaymentPartFacts("order/727", "bacs", D("5.00"))],
    )

    with pytest.raises(ConnectorError) as raised:
        connector.send(connector.refund_request(facts), idempotency_key="rf-9")

    assert not raised.value.retryable
    assert not shop.calls("POST", "/orders/727/refunds")


def test_store_credit_is_skipped_with_its_reason_on_the_connection_page(
    store_a, owner_a, connection, session_client
):
    customer = Customer.objects.create(store=store_a, email="john.doe@example.com")
    credit = {"customer": {"id": customer.pk}, "change": "12.50", "currency": "USD"}
    write_back = WriteBack.objects.create(
        connection=connection,
        kind=WriteBackKind.STORE_CREDIT,
        source_event="6f1c1b55-8a55-4a57-9d51-2b3a1c0e7a10",
        source={"store_credit": credit | {"reference": "SC-1", "code": "SC-1"}},
        idempotency_key="retour-credit-1",
    )

    services.push_write_back(write_back.pk)

    write_back.refresh_from_db()
    assert write_back.status == WriteBackStatus.SKIPPED
    assert "WooCommerce core has no store credit" in write_back.last_error
    page = session_client(owner_a).get(
        f"/dashboard/settings/{store_a.slug}/connections/?platform=woocommerce"
    )
    assert "WooCommerce core has no store credit" in page.content.decode()


# ---- connection page ----------------------------------------------------------------------------

PAGE = "/dashboard/settings/store-a/connections/?platform=woocommerce"


def test_the_owner_connects_woocommerce_and_its_secrets_are_never_shown_back(
    store_a, owner_a, session_client
):
    client = session_client(owner_a)
    form = {
        "shop": "Shop.Example.com/",
        "consumer_key": KEY,
        "consumer_secret": SECRET,
        "webhook_secret": WEBHOOK_SECRET,
    }

    answer = client.post(PAGE, form)

    assert (answer.status_code, answer["Location"]) == (302, PAGE)
    connection = Connection.objects.get(store=store_a, platform="woocommerce")
    assert connection.base_url == "https://shop.example.com"
    assert connection.credentials == {
        "consumer_key": KEY,
        "consumer_secret": SECRET,
        "webhook_secret": WEBHOOK_SECRET,
    }
    html = client.get(PAGE).content.decode()
    assert "/connectors/store-a/woocommerce/webhook" in html
    assert 'aria-current="page">WooCommerce' in html
    for secret in (KEY, SECRET, WEBHOOK_SECRET):
        assert secret not in html
    # Without `?platform=`, the page shows the platform connected last.
    assert (
        "/connectors/store-a/woocommerce/webhook" in client.get(PAGE.split("?")[0]).content.decode()
    )


def test_a_woocommerce_address_without_https_is_refused(store_a, owner_a, session_client):
    form = {"shop": "http://shop.example.com", "consumer_key": KEY, "consumer_secret": SECRET}

    answer = session_client(owner_a).post(PAGE, form | {"webhook_secret": WEBHOOK_SECRET})

    assert answer.status_code == 400
    assert "HTTPS only" in answer.content.decode()
    assert not Connection.objects.exists()


def test_a_restock_without_its_refund_is_skipped_with_its_reason(
    store_a, owner_a, shop, connection
):
    _returned_and_refunded(store_a, owner_a, shop)
    restock = WriteBack.objects.get(kind=WriteBackKind.RESTOCK)
    WriteBack.objects.filter(kind=WriteBackKind.REFUND).delete()  # no refund carries it

    services.push_write_back(restock.pk)

    restock.refresh_from_db()
    assert restock.status == WriteBackStatus.SKIPPED
    assert "with their refund only" in restock.last_error
    assert not shop.calls("POST", "/orders/727/refunds")


def test_a_signed_body_that_is_not_json_is_recorded_and_ignored(store_a, connection):
    _received(store_a, b"not json")

    assert InboundEvent.objects.get().status == EventStatus.IGNORED


def test_a_retry_after_the_first_of_two_refunds_sends_only_the_second(shop, connection):
    connector = connector_for(Connection.objects.get(pk=connection.pk))
    request = connector.refund_request(_facts())
    shop.failures[("POST", "refunds")] = [Answer(502, "after-write")]

    with pytest.raises(ConnectorError) as lost:
        connector.send(request, idempotency_key="rf-7")
    sent = connector.send(request, idempotency_key="rf-7")

    assert lost.value.retryable
    made = shop.refunds[727]
    assert [r["meta_data"][0]["value"] for r in made] == ["rf-7#1", "rf-7#2"]
    assert sent.remote_id == f"{made[0]['id']},{made[1]['id']}"
    assert len(shop.calls("POST", "/orders/727/refunds")) == 2  # #1 (answer lost), #2: once each


def test_an_order_that_does_not_fit_and_is_gone_since_is_ignored(store_a, shop, connection):
    payload = order_727()
    payload["billing"]["email"] = ""
    del shop.orders[727]

    _received(store_a, payload)

    assert InboundEvent.objects.get().status == EventStatus.IGNORED
    assert not Order.objects.exists()
