"""A worker is killed (SIGKILL) in the middle of delivering a batch; after a restart every event is
delivered, once by event id, and nothing is lost. On the embedded default (SQLite file, two worker
processes) and on the distributed path (PostgreSQL, two worker processes)."""

import signal
import time

import pytest

from tests.notifications import workers
from tests.notifications.servers import Receiver, SmtpSink

EVENTS = 120


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_killed_workers_lose_nothing_and_deliver_each_event_once(kind, tmp_path):
    if kind == "postgres" and not workers.postgres_reachable():
        pytest.skip(f"PostgreSQL is not reachable at {workers.PG_SERVER}")
    receiver = Receiver(secret="whsec_crash")
    url = receiver.start()
    with SmtpSink() as smtp, workers.database(kind, tmp_path) as database_url:
        env = workers.environment(
            database_url,
            tmp_path,
            RETOUR_EMAIL_HOST="127.0.0.1",
            RETOUR_EMAIL_PORT=str(smtp.port),
            RETOUR_OUTBOX_SWEEP_SECONDS="1",
            RETOUR_DELIVERY_LEASE_SECONDS="2",
        )
        workers.retour(env, "migrate", "--verbosity", "0")
        event_ids = set(workers.seed(env, EVENTS, url, receiver.secret))
        log = tmp_path / "workers.log"

        first = [workers.start_worker(env, log) for _ in range(2)]
        # Kill both in the middle of the batch: some deliveries done, most not.
        assert _wait(lambda: len(receiver.requests) >= EVENTS // 4, 60), log.read_text()
        for process in first:
            process.send_signal(signal.SIGKILL)
        for process in first:
            process.wait(10)
        delivered_before = len(receiver.effects)
        assert delivered_before < EVENTS, "the batch finished before the kill: raise EVENTS"

        second = [workers.start_worker(env, log) for _ in range(2)]
        try:
            done = _wait(
                lambda: set(receiver.effects) == event_ids and set(smtp.by_event()) == event_ids,
                120,
            )
        finally:
            for process in second:
                process.terminate()
            for process in second:
                process.wait(20)
        receiver.stop()

    assert done, f"missing after restart; log:\n{log.read_text()[-3000:]}"
    # Every event's effect happened exactly once at the receiver that checks the id …
    assert set(receiver.effects) == event_ids
    assert set(receiver.effects.values()) == {1}
    assert all(request["valid"] for request in receiver.requests)
    # … and every event's e-mail arrived, duplicates (if a kill fell between the SMTP server's
    # "250 OK" and our commit) carrying the same Message-ID, so a mail client shows one.
    per_event = smtp.by_event()
    assert set(per_event) == event_ids
    duplicates = sum(per_event.values()) - EVENTS
    assert duplicates <= 4, per_event.most_common(5)
    assert len(smtp.message_ids()) == EVENTS
