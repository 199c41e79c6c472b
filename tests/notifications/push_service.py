"""A real local Web Push service and a browser's side of a subscription, written from the RFCs
(not from Retour's code nor pywebpush's):

- RFC 8030: a message is a POST to the subscription's endpoint with a `TTL` header (and optional
  `Urgency`, `Topic`); 201 Created when queued.
- RFC 8292 (VAPID): `Authorization: vapid t=<JWT>, k=<public key>`; the JWT is ES256-signed by
  that key, `aud` is the endpoint's origin, `exp` at most 24 hours ahead, `sub` a contact; `k`
  must be the application server key the browser subscribed with.
- RFC 8291 + RFC 8188 (aes128gcm): the body is decrypted with the browser's ECDH private key and
  auth secret, as a browser would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass
class Browser:
    """One subscription as a browser holds it: its ECDH key pair and auth secret (RFC 8291 §2),
    and the application server key it subscribed with."""

    application_server_key: str
    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))
    endpoint: str = ""

    @property
    def p256dh(self) -> str:
        return b64url(_point(self.private.public_key()))

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def to_json(self) -> dict:
        """What `PushSubscription.toJSON()` gives the page."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 §3.4 key derivation, RFC 8188 §2 aes128gcm framing (one record)."""
        salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender_point = body[21 : 21 + id_length]
        ciphertext = body[21 + id_length :]
        assert id_length == 65
        assert len(ciphertext) <= record_size
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
        shared = self.private.exchange(ec.ECDH(), sender)
        receiver_point = _point(self.private.public_key())
        prk_key = _hmac(self.auth_secret, shared)
        key_info = b"WebPush: info\x00" + receiver_point + sender_point
        ikm = _hmac(prk_key, key_info + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        unpadded = padded.rstrip(b"\x00")
        assert unpadded.endswith(b"\x02"), "the last record ends with the delimiter 0x02"
        return unpadded[:-1]


def check_vapid(header: str, origin: str) -> dict:
    """The claims of a valid `vapid t=…, k=…` header; raises AssertionError otherwise."""
    scheme, _space, params = header.partition(" ")
    assert scheme.lower() == "vapid", f"scheme {scheme!r}"
    parts = dict(item.strip().split("=", 1) for item in params.split(","))
    token, key = parts["t"], parts["k"]
    signing_input, _dot, signature = token.rpartition(".")
    head = json.loads(unb64url(signing_input.split(".")[0]))
    assert head["alg"] == "ES256", head
    raw = unb64url(signature)
    assert len(raw) == 64, "ES256 signatures are r || s, 32 bytes each (RFC 7518 §3.4)"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    try:
        public.verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            signing_input.encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature as exc:
        raise AssertionError("bad JWT signature") from exc
    claims = json.loads(unb64url(signing_input.split(".")[1]))
    assert claims["aud"] == origin, (claims["aud"], origin)
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims["exp"]
    assert claims["sub"].startswith(("mailto:", "https:")), claims["sub"]
    return {**claims, "k": key}


@dataclass
class PushService:
    """Answers `statuses` in turn (then 201) to well-formed messages; 400/401/403 to others."""

    statuses: list[int] = field(default_factory=list)
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, detail = service.handle(self.path, self.headers, body)
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"{service.origin}/message/{detail}")
                self.end_headers()
                self.wfile.write(b"" if status == 201 else str(detail).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def browser(self, application_server_key: str) -> Browser:
        """A new subscription on this service, as `pushManager.subscribe()` would make it."""
        browser = Browser(application_server_key=application_server_key)
        browser.endpoint = f"{self.origin}/push/{b64url(os.urandom(12))}"
        self.browsers[browser.endpoint.rsplit("/", 1)[1]] = browser
        return browser

    def handle(self, path: str, headers, body: bytes) -> tuple[int, str]:
        browser = self.browsers.get(path.rsplit("/", 1)[-1]) if path.startswith("/push/") else None
        if browser is None:
            return 404, "no such subscription"
        try:
            claims = check_vapid(headers.get("Authorization", ""), self.origin)
        except (AssertionError, KeyError, ValueError) as exc:
            self.refused.append(f"vapid: {exc}")
            return 401, "bad VAPID authorization"
        if claims["k"] != browser.application_server_key:
            self.refused.append("k is not the key the browser subscribed with")
            return 403, "wrong application server key"
        if not headers.get("TTL", "").isdigit() or headers.get("Content-Encoding") != "aes128gcm":
            self.refused.append(f"headers: {dict(headers)}")
            return 400, "TTL and Content-Encoding: aes128gcm required"
        message = json.loads(browser.decrypt(body))
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else 201
            self.received.append(
                {
                    "status": status,
                    "endpoint": browser.endpoint,
                    "message": message,
                    "ttl": int(headers["TTL"]),
                    "urgency": headers.get("Urgency"),
                    "topic": headers.get("Topic"),
                    "sub": claims["sub"],
                }
            )
            number = len(self.received)
        if status == 410:
            self.browsers.pop(path.rsplit("/", 1)[-1], None)
        return status, str(number)

    def delivered(self) -> list[dict]:
        """The messages the service accepted (201), in order."""
        with self.lock:
            return [item for item in self.received if item["status"] == 201]
