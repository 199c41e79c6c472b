"""Real local servers for the notification tests: an SMTP server (aiosmtpd), a webhook receiver
that checks signatures and counts effects by event id, and a Twilio-like SMS API."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def verify_signature(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """The receiver's check, written from the documentation (not Retour's code): HMAC-SHA256 of
    "<t>.<raw body>", constant-time comparison, timestamp within 5 minutes."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 OK"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def by_event(self) -> Counter:
        with self.lock:
            return Counter(m["X-Retour-Event-Id"] for m in self.messages)

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)

    @staticmethod
    def parts(message) -> tuple[str, str]:
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        return text, html


@dataclass
class Receiver:
    """A shop's webhook endpoint: answers `statuses` in turn (then 200), checks every signature,
    and applies each event's effect once, by event id."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    effects: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = verify_signature(
                    receiver.secret, body, self.headers.get("Retour-Signature", "")
                )
                event_id = self.headers.get("Retour-Event-Id")
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {
                            "event_id": event_id,
                            "valid": valid,
                            "status": status,
                            "attempt": self.headers.get("Retour-Delivery-Attempt"),
                            "body": json.loads(body),
                        }
                    )
                    if status == 200 and valid and event_id not in receiver.effects:
                        receiver.effects[event_id] += 1
                self.send_response(status if valid else 401)
                self.end_headers()
                self.wfile.write(b"ok" if valid else b"bad signature")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/retour"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class FakeTwilio:
    """Answers like Twilio's Messages API (201 + a message resource) after checking basic auth."""

    account: str = "AC0123456789"
    token: str = "secret-token"
    received: list[dict] = field(default_factory=list)
    status: int = 201

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                expected = (
                    "Basic " + base64.b64encode(f"{fake.account}:{fake.token}".encode()).decode()
                )
                form = urllib.parse.parse_qs(
                    self.rfile.read(int(self.headers["Content-Length"])).decode()
                )
                path_ok = self.path == f"/2010-04-01/Accounts/{fake.account}/Messages.json"
                if self.headers.get("Authorization") != expected or not path_ok:
                    self.send_response(401)
                    self.end_headers()
                    self.wfile.write(b'{"code": 20003, "message": "Authenticate"}')
                    return
                fake.received.append({k: v[0] for k, v in form.items()})
                sid = f"SM{len(fake.received):032d}"
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(
                    json.dumps(
                        {
                            "sid": sid,
                            "status": "queued",
                            "to": form["To"][0],
                            "body": form["Body"][0],
                        }
                    ).encode()
                )

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
