"""Events delivered per second by the job layer: the embedded default (django-tasks-db on a SQLite
file) and the distributed path (django-tasks-db on PostgreSQL), each with two `retour worker`
processes.

Each event goes out twice: an e-mail to a real local SMTP server (aiosmtpd) and a signed webhook to
a local HTTP receiver, i.e. three jobs per event (dispatch + two sends). The clock runs from the
workers' start until both receivers hold every event id. Usage:

    .venv/bin/python bench/notifications_bench.py [--events 1000] [--workers 2] [--only sqlite]

Figures go to bench/results/notifications.json.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.notifications import workers  # noqa: E402
from tests.notifications.servers import Receiver, SmtpSink  # noqa: E402


def run(kind: str, events: int, worker_count: int) -> dict:
    receiver = Receiver(secret="whsec_bench")  # noqa: S106 - a test secret
    url = receiver.start()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SmtpSink() as smtp,
        workers.database(kind, Path(tmp)) as database_url,
    ):
        tmp_path = Path(tmp)
        env = workers.environment(
            database_url,
            tmp_path,
            RETOUR_EMAIL_HOST="127.0.0.1",
            RETOUR_EMAIL_PORT=str(smtp.port),
            RETOUR_DB_CONN_MAX_AGE="600",
        )
        workers.retour(env, "migrate", "--verbosity", "0")
        ids = set(workers.seed(env, events, url, receiver.secret))
        log = tmp_path / "workers.log"
        started = time.perf_counter()
        processes = [workers.start_worker(env, log) for _ in range(worker_count)]
        try:
            while not (set(receiver.effects) >= ids and set(smtp.by_event()) >= ids):
                if time.perf_counter() - started > 600:
                    raise RuntimeError(f"not done after 600 s:\n{log.read_text()[-2000:]}")
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(20)
        receiver.stop()
    return {
        "backend": f"django-tasks-db on {kind}",
        "workers": worker_count,
        "events": events,
        "deliveries": 2 * events,
        "jobs": 3 * events,
        "seconds": round(elapsed, 2),
        "events_per_second": round(events / elapsed, 1),
        "deliveries_per_second": round(2 * events / elapsed, 1),
        "duplicates_at_receivers": len(receiver.requests)
        - events
        + sum(smtp.by_event().values())
        - events,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgres"]
    results = []
    for kind in kinds:
        if kind == "postgres" and not workers.postgres_reachable():
            print(f"PostgreSQL not reachable at {workers.PG_SERVER}: skipped")
            continue
        result = run(kind, args.events, args.workers)
        print(json.dumps(result))
        results.append(result)
    out = ROOT / "bench" / "results" / "notifications.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
