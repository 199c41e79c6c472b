"""Two stations receive the same parcel at the same moment: exactly one receipt is recorded.

Two station *processes* (spawned, each with its own PostgreSQL session on the test database:
`tests/warehouse/stations.py`) call `receive_parcel` for the same return after a barrier; each
is held a moment inside the service, after its check for an earlier receipt, so that without the
return's row lock both would find none and both would write. Needs PostgreSQL: SQLite has one
writer at a time.
"""

import multiprocessing

import pytest
from django.db import connection

from retour.returns.models import ReturnEvent
from retour.warehouse.models import Receipt, ReceivingDiscrepancy
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of
from tests.warehouse.stations import receive_in_process

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    settings = connection.settings_dict
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def test_two_station_processes_receiving_the_same_parcel_record_one_receipt(store_a):
    warehouse_of(store_a)
    return_request, (first, second) = parcel_on_its_way(store_a)
    quantities = {first.pk: 1, second.pk: 1}
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    args = (_test_database_url(), return_request.pk, quantities, barrier, results)
    stations = [context.Process(target=receive_in_process, args=args) for _ in range(2)]
    for station in stations:
        station.start()
    try:
        outcomes = sorted(results.get(timeout=120) for _ in stations)
    finally:
        for station in stations:
            station.join(timeout=30)

    assert [station.exitcode for station in stations] == [0, 0]
    assert outcomes == ["already received", "received"]
    assert Receipt.objects.filter(return_request=return_request).count() == 1
    assert ReceivingDiscrepancy.objects.filter(receipt__return_request=return_request).count() == 1
    received = ReturnEvent.objects.filter(return_request=return_request, kind="lines_received")
    assert received.count() == 1
