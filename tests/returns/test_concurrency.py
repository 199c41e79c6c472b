"""Two requests for the last returnable unit at the same time: the order row lock lets exactly
one through. Needs PostgreSQL (SQLite has one writer at a time, so there is no race to test)."""

import threading
import time

import pytest
from django.db import connection

from retour.returns import services
from retour.returns.models import Claim, Return
from retour.returns.services import LineRequest, QuantityExceeded
from tests.factories import SYSTEM, OrderFactory


def _return(order, line):
    services.create_return(
        order=order,
        lines=[LineRequest(line.pk, 1)],
        method="drop_off",
        resolution="refund",
        actor=SYSTEM,
    )


def _claim(order, line):
    services.create_claim(
        order=order, kind="missing", lines=[LineRequest(line.pk, 1)], actor=SYSTEM
    )


def _race(attempts, order, line) -> list[str]:
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def run(attempt):
        try:
            barrier.wait(timeout=10)
            attempt(order, line)
            outcomes.append("created")
        except QuantityExceeded:
            outcomes.append("exceeded")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()  # each thread has its own connection: close it

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.fixture
def slow_check(monkeypatch):
    """Hold each request a moment after it has counted the returnable units, so that without
    the lock both would count the same last unit."""
    check = services._check_quantities

    def checked_slowly(order, requests):
        check(order, requests)
        time.sleep(0.3)

    monkeypatch.setattr(services, "_check_quantities", checked_slowly)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "attempts", [(_return, _return), (_return, _claim)], ids=["two-returns", "return-and-claim"]
)
def test_only_one_of_two_simultaneous_requests_gets_the_last_unit(slow_check, attempts):
    order = OrderFactory(lines=[1])
    line = order.lines.get()

    outcomes = _race(attempts, order, line)

    assert outcomes == ["created", "exceeded"]
    assert Return.objects.count() + Claim.objects.count() == 1
