"""`retour serve`: the WSGI app under gunicorn, static files served by WhiteNoise."""

import os

from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import reverse
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    """Gunicorn driven from code, so it reads no command line or config file of its own."""

    def __init__(self, application, options: dict) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            # Settings of newer gunicorn releases are skipped on older ones.
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        return self.application


class Command(BaseCommand):
    help = "Serve Retour with gunicorn on 127.0.0.1:$PORT (default 8000)."
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
        parser.add_argument("--workers", type=int, default=2)
        # Threads let a worker run Python for one request while another waits on the database
        # (4 threads served ~35 % more order reads than sync workers on two cores). Two per
        # worker: with 4, the threads of one process queue for its GIL and the slowest requests
        # wait longest (portal items page at 8 connections, p95 36–48 ms with 4, 24–32 ms with 2,
        # as many requests per second: bench/README.md).
        parser.add_argument(
            "--threads", type=int, default=2, help="threads per worker (1: sync workers)"
        )
        parser.add_argument("--access-log", action="store_true", help="log every request")

    def handle(self, *args, **options) -> None:
        application = get_wsgi_application()
        # Import the URLconf here, once, before the workers are forked (the API builds its
        # schemas: a third of a second): else each worker imports it on its first request while
        # its other threads' requests wait, a second of latency in the first moments of load.
        reverse("healthz")
        # Workers are forked from this process: none of them may inherit its DB connection.
        connections.close_all()
        settings = {
            "bind": f"{options['host']}:{options['port']}",
            "workers": options["workers"],
            "threads": options["threads"],
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "retour",
            # Recent gunicorn opens a control socket at one path per user: two servers would clash.
            "control_socket_disable": True,
        }
        self.stdout.write(f"Retour on http://{settings['bind']}/ (Ctrl+C to stop)")
        _Gunicorn(application, settings).run()
