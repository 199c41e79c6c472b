"""Two stations scan the same parcel at the same moment: exactly one receipt is recorded.

Two stations (threads, each with its own PostgreSQL session, as two station processes would
have) call `receive_parcel` for the same return after a barrier; each is held a moment once
inside the service, so that without the return's row lock both would find no receipt. Threads
rather than forked processes: a forked child inherits the parent's open database sockets, and
its exit could close sessions other tests still use. Needs PostgreSQL: SQLite has one writer at
a time.
"""

import queue
import threading
import time

import pytest
from django.db import connections

from retour.core.actors import Actor
from retour.returns import services as returns
from retour.returns.models import ReturnEvent
from retour.warehouse import services
from retour.warehouse.models import Receipt, ReceivingDiscrepancy
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _station(return_id, quantities, barrier, results):
    from retour.returns.models import Return

    try:
        barrier.wait(timeout=20)
        services.receive_parcel(
            return_request=Return.objects.get(pk=return_id),
            warehouse=None,
            quantities=quantities,
            actor=Actor.system("station"),
        )
        results.put("received")
    except services.AlreadyReceived:
        results.put("already received")
    except Exception as exc:  # noqa: BLE001 - reported by the assertion
        results.put(repr(exc))
    finally:
        connections.close_all()  # this thread's own session


@pytest.fixture
def slow_receipt(monkeypatch):
    """Hold each station a moment after it has checked for an earlier receipt."""
    receive = returns.receive_lines

    def received_slowly(**kwargs):
        time.sleep(0.4)
        return receive(**kwargs)

    monkeypatch.setattr(returns, "receive_lines", received_slowly)


def test_two_stations_receiving_the_same_parcel_record_one_receipt(store_a, slow_receipt):
    warehouse_of(store_a)
    return_request, (first, second) = parcel_on_its_way(store_a)
    quantities = {first.pk: 1, second.pk: 1}
    barrier, results = threading.Barrier(2), queue.Queue()
    stations = [
        threading.Thread(target=_station, args=(return_request.pk, quantities, barrier, results))
        for _ in range(2)
    ]
    for station in stations:
        station.start()
    outcomes = sorted(results.get(timeout=60) for _ in stations)
    for station in stations:
        station.join(timeout=30)

    assert outcomes == ["already received", "received"]
    assert Receipt.objects.filter(return_request=return_request).count() == 1
    assert ReceivingDiscrepancy.objects.filter(receipt__return_request=return_request).count() == 1
    received = ReturnEvent.objects.filter(return_request=return_request, kind="lines_received")
    assert received.count() == 1
