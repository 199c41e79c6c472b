"""`make bench`: the service bench on SQLite, then on PostgreSQL if reachable, then the HTTP
bench if wrk is installed. Each step runs in its own process (Django is set up once per process).
"""

import os
import shutil
import subprocess
import sys

from _common import BENCH_DIR, DEFAULT_PG_URL, postgres_reachable


def _run(script: str, database_url: str | None) -> None:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([sys.executable, str(BENCH_DIR / script)], env=env, check=True)


def main() -> None:
    _run("service_bench.py", None)
    url = os.environ.get("DATABASE_URL") or DEFAULT_PG_URL
    if url.startswith("postgres") and postgres_reachable(url):
        _run("service_bench.py", url)
    else:
        print(f"PostgreSQL not reachable at {url}: its service bench and the HTTP bench skipped.")
        return
    if shutil.which("wrk") is None:
        print(
            "HTTP bench skipped: wrk is not installed (apt-get install wrk, or brew install wrk)."
        )
        return
    _run("http_bench.py", url)


if __name__ == "__main__":
    main()
