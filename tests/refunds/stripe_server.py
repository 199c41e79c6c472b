"""A local stand-in for Stripe's Refunds API, answering its documented objects and errors.

Like Stripe, it keeps each response by `Idempotency-Key`: a request repeated with the same key
gets the first answer back and creates nothing. `mode` makes it misbehave:
"ok", "pending", "failed" (refund object with that status), "card_error" (402), "rate_limit"
(429), "server_error" (500), "slow_once" (creates the refund, then answers too late the first
time only — the timeout case).
"""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "sk_test_retour"


def _error(kind: str, message: str, code: str = "") -> dict:
    error = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return {"error": error}


class FakeStripe:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 0.0
        self.refunds: dict[str, dict] = {}  # id → refund object
        self.sessions: dict[str, dict] = {}  # id → Checkout Session object
        self.by_key: dict[str, tuple[int, dict]] = {}  # idempotency key → (status, body)
        self.requests: list[dict] = []
        self.slowed: set[str] = set()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {SECRET}":
                    self._send(
                        401,
                        _error("invalid_request_error", "Invalid API Key provided: sk_test_****"),
                    )
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    return
                refund_id = self.path.rsplit("/", 1)[-1]
                refund = fake.refunds.get(refund_id)
                if refund is None:
                    self._send(
                        404,
                        _error(
                            "invalid_request_error",
                            f"No such refund: '{refund_id}'",
                            "resource_missing",
                        ),
                    )
                else:
                    self._send(200, refund)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key", "")
                fake.requests.append(
                    {
                        "path": self.path,
                        "form": form,
                        "key": key,
                        "authorization": self.headers.get("Authorization", ""),
                    }
                )
                if not self._authorised():
                    return
                if self.path == "/v1/checkout/sessions":
                    self._send(*fake.checkout_session(form, key))
                    return
                status, body = fake.answer(form, key)
                if fake.mode == "slow_once" and key not in fake.slowed:
                    fake.slowed.add(key)
                    time.sleep(fake.delay)
                self._send(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, form: dict, key: str) -> tuple[int, dict]:
        with self.lock:
            if key and key in self.by_key:
                return self.by_key[key]
            mode = self.mode
            if mode == "rate_limit":
                return 429, _error("invalid_request_error", "Too many requests", "rate_limit")
            if mode == "server_error":
                return 500, _error("api_error", "Something went wrong on Stripe's end.")
            if mode == "card_error":
                answer = (
                    402,
                    _error(
                        "card_error", "The charge is already refunded.", "charge_already_refunded"
                    ),
                )
            else:
                refund_id = f"re_{len(self.refunds) + 1:024d}"
                status = mode if mode in ("pending", "failed") else "succeeded"
                refund = {
                    "id": refund_id,
                    "object": "refund",
                    "amount": int(form["amount"]),
                    "balance_transaction": None,
                    "charge": "ch_3Test",
                    "created": int(time.time()),
                    "currency": "eur",
                    "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                    "payment_intent": form.get("payment_intent"),
                    "reason": None,
                    "receipt_number": None,
                    "status": status,
                }
                if status == "failed":
                    refund["failure_reason"] = "expired_or_canceled_card"
                self.refunds[refund_id] = refund
                answer = (200, refund)
            if key:
                self.by_key[key] = answer
            return answer

    def checkout_session(self, form: dict, key: str) -> tuple[int, dict]:
        """`POST /v1/checkout/sessions` (mode `payment`, one `price_data` line): the documented
        Checkout Session object, or the 400 Stripe answers for a missing parameter or an
        `expires_at` outside 30 minutes to 24 hours from now."""
        with self.lock:
            if key and key in self.by_key:
                return self.by_key[key]
            now = int(time.time())
            expires_at = int(form.get("expires_at") or now + 86400)
            missing = [
                name
                for name in ("mode", "line_items[0][price_data][unit_amount]", "success_url")
                if not form.get(name)
            ]
            if missing or not now + 1800 <= expires_at <= now + 86400:
                answer = (
                    400,
                    _error(
                        "invalid_request_error",
                        f"Invalid request: {missing or 'expires_at'}",
                        "parameter_invalid",
                    ),
                )
            else:
                session_id = f"cs_test_{len(self.sessions) + 1:024d}"
                amount = int(form["line_items[0][price_data][unit_amount]"])
                session = {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": form["mode"],
                    "status": "open",
                    "payment_status": "unpaid",
                    "amount_total": amount * int(form.get("line_items[0][quantity]", "1")),
                    "currency": form["line_items[0][price_data][currency]"],
                    "client_reference_id": form.get("client_reference_id"),
                    "customer_email": form.get("customer_email"),
                    "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                    "success_url": form["success_url"],
                    "cancel_url": form.get("cancel_url"),
                    "expires_at": expires_at,
                    "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                }
                self.sessions[session_id] = session
                answer = (200, session)
            if key:
                self.by_key[key] = answer
            return answer

    def __enter__(self) -> "FakeStripe":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
