"""A local HTTP server standing in for a carrier's API: each test says what it answers (the
providers' documented payloads, or their errors) and reads what it was asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list → JSON; bytes → as is
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded], Answer]


@dataclass
class FakeCarrier:
    """`routes[(method, path)]` is an `Answer` or a function of the request returning one.
    The path is matched without its query string unless the route includes one."""

    routes: dict[tuple[str, str], Answer | Handler] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def on(self, method: str, path: str, answer: Answer | Handler) -> None:
        self.routes[(method, path)] = answer

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.split("?")[0] == path]

    def answer(self, recorded: Recorded) -> Answer:
        route = self.routes.get((recorded.method, recorded.path)) or self.routes.get(
            (recorded.method, recorded.path.split("?")[0])
        )
        if route is None:
            return Answer(404, {"error": {"code": "NOT_FOUND", "message": "not found"}})
        return route(recorded) if callable(route) else route


def start(fake: FakeCarrier) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            fake.requests.append(recorded)
            answer = fake.answer(recorded)
            if answer.delay:
                time.sleep(answer.delay)
            body = answer.body
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(raw)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - http.server names

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
