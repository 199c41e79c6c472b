"""Load-test the shopper portal over HTTP with wrk: `retour serve` (gunicorn) on PostgreSQL.

    .venv/bin/python bench/portal_bench.py      # DATABASE_URL defaults to the bench database

Two pages, at 1 and 8 connections, 10 s each, on the `demo-fr` store of 100,000 orders:

- the look-up: POST /returns/demo-fr/ with an order number and its e-mail (a new order each
  request; a success opens a session, as for a shopper) — limits lifted for the run, since every
  request comes from 127.0.0.1;
- the items page: GET /returns/demo-fr/items in a session already bound to an order (one of
  2,000 sessions prepared beforehand), which evaluates every line against the policy.

wrk's latency is the server time seen on the loopback. `http_bench.py` documents the set-up.
"""

import argparse
import json
import os
import shutil
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from _common import (
    DEFAULT_PG_URL,
    RESULTS_DIR,
    STORE,
    configure,
    lookup_sample,
    postgres_reachable,
    prepare_dataset,
    print_http_result,
    run_wrk,
    start_server,
)

CONNECTIONS = (1, 8)
SESSIONS = 2000


def _csrf_pair(port: int) -> tuple[str, str]:
    """A CSRF cookie and a form token that matches it (reusable for every request)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"http://127.0.0.1:{port}/returns/{STORE}/").read().decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    cookie = next(c.value for c in jar if c.name == "csrftoken")
    return cookie, token


def _lookup_requests(store, seed: int, cookie: str, token: str) -> list[str]:
    lines = []
    for number, email in lookup_sample(store, 20_000, seed):
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "number": number, "contact": email}
        )
        lines.append(f"POST\t/returns/{STORE}/\tcsrftoken={cookie}\t{body}")
    return lines


def _item_requests(store, seed: int, csrf_cookie: str) -> list[str]:
    """Sessions bound to orders, made the way a successful look-up makes them; the browser
    also holds the CSRF cookie it got with the look-up form."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from retour.commerce.models import Order
    from retour.portal.state import KEY

    numbers = [number for number, _email in lookup_sample(store, SESSIONS, seed + 1)]
    orders = Order.objects.filter(store=store, number__in=numbers).values_list("pk", "email")
    lines = []
    for order_id, email in orders:
        session = SessionStore()
        session[KEY] = {str(store.pk): {"order": order_id, "email": email, "lines": {}}}
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={csrf_cookie}"
        lines.append(f"GET\t/returns/{STORE}/items\t{cookie}\t")
    return lines


def _wrk(port: int, requests: Path, connections: int, seconds: int) -> dict:
    return run_wrk(
        port=port, script="portal.lua", requests=requests, connections=connections, seconds=seconds
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk, then rerun.")
    url = os.environ.get("DATABASE_URL") or DEFAULT_PG_URL
    if not url.startswith("postgres") or not postgres_reachable(url):
        sys.exit(f"PostgreSQL is needed at {url} (set DATABASE_URL).")
    label = configure(orders=args.orders, seed=args.seed, database_url=url)
    store = prepare_dataset(orders=args.orders, seed=args.seed)
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone

    call_command("collectstatic", interactive=False, verbosity=0)
    started = timezone.now()
    work = RESULTS_DIR / "portal"
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"Portal bench on {label}: gunicorn {args.workers} workers × {args.threads} threads, "
        f"wrk {args.seconds} s per run"
    )
    server = start_server(
        args.port,
        work / "server.log",
        # The bench looks up thousands of orders from one IP: lift the portal's limits.
        {
            "RETOUR_PORTAL_LOOKUPS_PER_IP": str(10**9),
            "RETOUR_PORTAL_FAILURES_PER_ORDER": str(10**9),
        },
        workers=args.workers,
        threads=args.threads,
    )
    results: dict = {"database": url.rsplit("/", 1)[-1], "orders": args.orders}
    results |= {"workers": args.workers, "threads": args.threads}
    try:
        cookie, token = _csrf_pair(args.port)
        lookups = _write(work / "lookups.txt", _lookup_requests(store, args.seed, cookie, token))
        items = _write(work / "items.txt", _item_requests(store, args.seed, cookie))
        _wrk(args.port, items, 2, 2)  # warm up both workers
        results["lookup"] = [_wrk(args.port, lookups, c, args.seconds) for c in CONNECTIONS]
        results["items"] = [_wrk(args.port, items, c, args.seconds) for c in CONNECTIONS]
    finally:
        server.terminate()
        server.wait(timeout=30)
        Session.objects.filter(expire_date__gte=started).delete()  # the bench's sessions
        from retour.accounts.models import Throttle

        Throttle.objects.all().delete()
    for result in results["lookup"]:
        print_http_result("POST look-up", result)
    for result in results["items"]:
        print_http_result("GET items page", result)
    (RESULTS_DIR / "portal.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
