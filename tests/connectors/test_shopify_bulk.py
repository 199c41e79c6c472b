"""A first Shopify backfill goes through a bulk operation: started, polled by a job that never
waits in a worker, its JSONL read as a stream and each order rebuilt with its nested rows, then
upserted as a page's orders are; a crash resumes after the last order written; an export that
fails leaves the paged backfill the whole history; after one that completes, the paged backfill
reads what changed since it began."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from retour.commerce.models import Order
from retour.connectors import jobs, services
from retour.connectors.adapters.shopify import BULK_QUERY
from retour.connectors.choices import EventStatus
from retour.connectors.models import Connection, InboundEvent
from retour.core.actors import Actor
from retour.core.jobs import run_ready_jobs
from tests.connectors import shopify_samples as samples
from tests.connectors.conftest import GRAPHQL

pytestmark = pytest.mark.django_db
D = Decimal
STARTED = "2026-03-10T08:00:00Z"  # the fake's bulk operation `createdAt`


@pytest.fixture(autouse=True)
def poll_at_once(settings):
    settings.RETOUR_CONNECTORS = {**settings.RETOUR_CONNECTORS, "BULK_POLL_SECONDS": 0}


def _small(n: int, **changes) -> dict:
    """A small order of its own (id, number, fulfillment)."""
    node = samples.order_node(id=f"gid://shopify/Order/{n}", name=f"#{n}", **changes)
    node["fulfillments"][0]["id"] = f"gid://shopify/Fulfillment/{n}"
    return node


def _shop(shopify, small: int = 50) -> None:
    """A 600-line order (300 of them in one fulfillment) and `small` small orders."""
    shopify.pages = [
        [samples.big_order_node(lines=600, fulfilled=300)]
        + [_small(n) for n in range(1, small + 1)]
    ]


def _backfill(connection) -> None:
    services.start_backfill(connection=connection, actor=Actor.system("test"))
    run_ready_jobs()


def _waiting() -> list[DBTaskResult]:
    """The bulk backfill's runs waiting for their time."""
    return list(
        DBTaskResult.objects.filter(
            task_path=jobs.bulk_backfill.module_path, status=TaskResultStatus.READY
        )
    )


def _paged_reads(shopify) -> list[dict]:
    return [r for r in shopify.reads() if "orders(first:" in r["query"]]


def test_a_first_backfill_imports_the_history_through_a_bulk_export_in_a_handful_of_requests(
    store_a, shopify, shopify_connection
):
    _shop(shopify)

    _backfill(shopify_connection)

    assert Order.objects.filter(store=store_a).count() == 51
    big = Order.objects.get(store=store_a, external_id=samples.BIG_ORDER_GID)
    assert big.lines.count() == 600
    assert big.subtotal == D(6000)
    assert big.fulfillments.get().lines.count() == 300
    small = Order.objects.get(store=store_a, external_id="gid://shopify/Order/7")
    assert (small.subtotal, small.shipping_total, small.total) == (D(70), D("4.9"), D("69.9"))
    assert small.fulfillments.get().lines.get().quantity == 2
    assert small.payments.count() == 2
    # The run, the two polls, the file, the fulfillments' lines (51: 30 + 21 a query), the 300
    # lines of the big one (10 with its fulfillment, then 250 and 40), the paged backfill.
    assert len(shopify.fake.requests) == 1 + 2 + 1 + 2 + 2 + 1
    assert max(shopify.costs) <= 800
    (run,) = shopify.mutations("bulkOperationRunQuery")
    assert run["variables"]["query"] == BULK_QUERY
    assert "(first:" not in BULK_QUERY  # whole connections: Shopify pages them itself
    connection = Connection.objects.get()
    assert connection.bulk_export == {}
    assert connection.backfill_done_at is not None
    assert InboundEvent.objects.filter(topic="backfill", status=EventStatus.APPLIED).count() == 51
    event = InboundEvent.objects.get(resource_id=samples.BIG_ORDER_GID)
    assert len(json.loads(event.body)["lineItems"]["nodes"]) == 600  # kept raw, whole


def test_the_file_is_read_without_the_shop_s_token(store_a, shopify, shopify_connection):
    _shop(shopify, small=2)

    _backfill(shopify_connection)

    (download,) = shopify.downloads()
    headers = {name.lower() for name in download.headers}
    assert "x-shopify-access-token" not in headers
    assert all(
        "x-shopify-access-token" in {n.lower() for n in r.headers}
        for r in shopify.fake.calls("POST", GRAPHQL)
    )


def test_a_worker_is_never_held_while_shopify_prepares_the_export(
    store_a, shopify, shopify_connection, settings
):
    settings.RETOUR_CONNECTORS = {**settings.RETOUR_CONNECTORS, "BULK_POLL_SECONDS": 15}
    _shop(shopify, small=2)
    shopify.bulk_statuses = ["RUNNING"]

    _backfill(shopify_connection)  # runs what is due now: the start, nothing more

    (waiting,) = _waiting()
    assert waiting.run_after > timezone.now()
    assert Connection.objects.get().bulk_export["id"] == shopify.BULK_ID
    assert not Order.objects.exists()
    assert len(shopify.fake.requests) == 1


def test_a_crash_halfway_through_the_file_resumes_without_duplicates(
    store_a, shopify, shopify_connection, monkeypatch
):
    _shop(shopify, small=50)
    upserted = []
    upsert = services._upsert

    def crashing(connection, order):
        if len(upserted) == 26:
            raise RuntimeError("worker killed")
        upserted.append(order.external_id)
        return upsert(connection, order)

    monkeypatch.setattr(services, "_upsert", crashing)
    step = services.bulk_backfill_step(shopify_connection.pk)  # started
    step = services.bulk_backfill_step(shopify_connection.pk)  # running
    assert step.wait == 0
    with pytest.raises(RuntimeError):
        services.bulk_backfill_step(shopify_connection.pk)  # completed: importing…

    offset = Connection.objects.get().bulk_export["offset"]
    assert Order.objects.count() == 26
    assert 0 < offset < len(shopify.export_file())
    monkeypatch.setattr(services, "_upsert", upsert)
    step = services.bulk_backfill_step(shopify_connection.pk)

    assert step.wait is None
    assert Order.objects.count() == 51
    assert len(upserted) == 26  # none of them again
    assert InboundEvent.objects.count() == 51
    first, again = shopify.downloads()
    assert "Range" not in first.headers
    assert again.headers["Range"] == f"bytes={offset}-"


@pytest.mark.parametrize(
    ("status", "shown"),
    [("FAILED", "FAILED (TIMEOUT)"), ("CANCELED", "CANCELED"), ("EXPIRED", "EXPIRED")],
)
def test_an_export_that_does_not_complete_is_shown_and_the_history_read_page_by_page(
    store_a, shopify, shopify_connection, status, shown
):
    _shop(shopify, small=3)
    shopify.bulk_statuses = ["RUNNING", status]
    shopify.bulk_error_code = "TIMEOUT"

    _backfill(shopify_connection)

    connection = Connection.objects.get()
    assert connection.last_error == (
        f"The platform's bulk export of the order history ended with status {shown}: the "
        "history is read page by page instead."
    )
    assert not shopify.downloads()
    (paged,) = _paged_reads(shopify)
    assert (paged["variables"]["after"], paged["variables"]["query"]) == (None, None)
    assert Order.objects.count() == 4
    assert connection.backfill_done_at is not None


def test_an_export_refused_for_another_in_progress_is_tried_again_later(
    store_a, shopify, shopify_connection
):
    _shop(shopify, small=1)
    shopify.bulk_busy = True

    _backfill(shopify_connection)

    connection = Connection.objects.get()
    assert "already in progress" in connection.last_error
    assert connection.bulk_export == {}
    (retry,) = _waiting()
    assert retry.run_after > timezone.now()
    assert not _paged_reads(shopify)
    shopify.bulk_busy = False
    services.bulk_backfill_step(connection.pk)
    assert Connection.objects.get().bulk_export["id"] == shopify.BULK_ID


def test_our_own_export_is_never_started_twice(store_a, shopify, shopify_connection):
    _shop(shopify, small=1)
    shopify.bulk_statuses = ["RUNNING", "RUNNING", "COMPLETED"]
    services.bulk_backfill_step(shopify_connection.pk)

    services.start_backfill(connection=shopify_connection, actor=Actor.system("test"))
    run_ready_jobs()

    assert len(shopify.mutations("bulkOperationRunQuery")) == 1
    assert Order.objects.count() == 2


def test_the_paged_backfill_after_the_export_reads_what_changed_since_it_began(
    store_a, shopify, shopify_connection
):
    _shop(shopify, small=2)
    services.bulk_backfill_step(shopify_connection.pk)  # Shopify snapshots the shop
    # Changed while the export runs: in the file as it was, updated after the export began.
    shopify.pages[0][1] = _small(1, updatedAt="2026-03-10T09:30:00Z", email="new@example.com")
    jobs.bulk_backfill.enqueue(shopify_connection.pk)
    run_ready_jobs()

    (paged,) = _paged_reads(shopify)
    assert paged["variables"]["query"] == f"updated_at:>='{STARTED}'"
    assert Order.objects.get(external_id="gid://shopify/Order/1").email == "new@example.com"
    connection = Connection.objects.get()
    assert connection.cursor == f"{STARTED}|1"
    assert connection.backfill_done_at is not None


def test_a_finished_backfill_started_again_exports_again(store_a, shopify, shopify_connection):
    _shop(shopify, small=1)
    _backfill(shopify_connection)
    shopify.bulk_statuses = ["COMPLETED"]

    _backfill(Connection.objects.get())

    assert len(shopify.mutations("bulkOperationRunQuery")) == 2
    assert Order.objects.count() == 2


def test_the_connection_page_says_the_history_is_being_exported_then_why_it_fell_back(
    store_a, owner_a, session_client, shopify, shopify_connection
):
    _shop(shopify, small=1)
    shopify.bulk_statuses = ["RUNNING", "FAILED"]
    shopify.bulk_error_code = "ACCESS_DENIED"
    client = session_client(owner_a)
    page = "/dashboard/settings/store-a/connections/?platform=shopify"
    services.bulk_backfill_step(shopify_connection.pk)

    exporting = client.get(page).content.decode()
    services.bulk_backfill_step(shopify_connection.pk)
    services.bulk_backfill_step(shopify_connection.pk)
    fallen_back = client.get(page).content.decode()

    assert "Being exported by the platform" in exporting
    assert "ended with status FAILED (ACCESS_DENIED)" in fallen_back


def test_a_fulfillment_cancelled_since_the_export_does_not_stop_it(
    store_a, shopify, shopify_connection
):
    _shop(shopify, small=1)
    services.bulk_backfill_step(shopify_connection.pk)  # Shopify snapshots the shop
    shopify.pages[0][1] = _small(1, updatedAt="2026-03-10T09:30:00Z")
    shopify.pages[0][1]["fulfillments"] = []
    jobs.bulk_backfill.enqueue(shopify_connection.pk)
    run_ready_jobs()

    connection = Connection.objects.get()
    assert (connection.bulk_export, connection.last_error) == ({}, "")
    assert Order.objects.count() == 2
