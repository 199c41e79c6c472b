"""Outgoing webhooks: the JSON body, its signature, and the HTTP request.

Every request carries:

- `Retour-Event-Id`: the event's UUID, the same on every retry and replay: a receiver that stores
  the ids it has handled ignores a redelivery;
- `Retour-Event-Type`, and `Retour-Delivery-Attempt` (1, 2, …);
- `Retour-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`.

A receiver recomputes the HMAC over the raw body, compares in constant time, and refuses a
timestamp more than 5 minutes from its clock (replay protection): see `verify_signature` and
docs/notifications.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from retour.events.models import OutboxEvent
from retour.events.outbox import PAYLOAD_VERSION

SIGNATURE_HEADER = "Retour-Signature"
TOLERANCE_SECONDS = 300


def body_for(event: OutboxEvent) -> bytes:
    document = {
        "id": str(event.id),
        "type": event.type,
        "version": PAYLOAD_VERSION,
        "created_at": event.created_at.isoformat(),
        "store": {"id": event.store_id, "slug": event.store.slug},
        "data": event.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (Python version of the documented check)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True)
class HttpAnswer:
    status: int | None
    body: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer, not an instruction: the signed body is never sent elsewhere.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float | None = None
) -> HttpAnswer:
    """POST and report what came back, without raising for HTTP or network errors."""
    if not url.lower().startswith(("https://", "http://")):
        return HttpAnswer(None, "", "unsupported URL scheme")
    timeout = settings.RETOUR_WEBHOOKS["TIMEOUT"] if timeout is None else timeout
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read(2000).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, exc.read(2000).decode("utf-8", "replace"), str(exc))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return HttpAnswer(None, "", f"{type(exc).__name__}: {exc}")


def headers_for(event: OutboxEvent, secret: str, body: bytes, attempt: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Retour-Webhooks/1",
        "Retour-Event-Id": str(event.id),
        "Retour-Event-Type": event.type,
        "Retour-Delivery-Attempt": str(attempt),
        SIGNATURE_HEADER: sign(secret, body),
    }
