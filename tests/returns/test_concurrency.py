"""Two requests for the last returnable unit at the same time: the order row lock lets exactly
one through. Needs PostgreSQL (SQLite has one writer at a time, so there is no race to test)."""

import threading
import time

import pytest
from django.db import connection

from retour.commerce.models import AuditEvent
from retour.events.models import OutboxEvent
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


@pytest.fixture
def slow_decision(monkeypatch):
    """Hold each decision on a claim a moment after it has found the claim open, so that
    without the row lock both would decide it."""
    record = services.record_audit

    def recorded_slowly(**kwargs):
        time.sleep(0.3)
        return record(**kwargs)

    monkeypatch.setattr(services, "record_audit", recorded_slowly)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_one_of_two_simultaneous_decisions_on_a_claim_counts(slow_decision):
    order = OrderFactory(lines=[1])
    line = order.lines.get()
    _claim(order, line)
    claim = Claim.objects.get()

    def approve(order, line):
        services.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")

    def reject(order, line):
        services.decide_claim(claim=claim, actor=SYSTEM, approve=False, reason="No")

    outcomes = _race([approve, reject], order, line)

    assert outcomes[1] == "created"
    assert outcomes[0].startswith("IllegalTransition(")
    decisions = AuditEvent.objects.filter(verb__in=["claim.approved", "claim.rejected"])
    assert decisions.count() == 1
    assert OutboxEvent.objects.filter(type__startswith="claim.").count() == 1
