"""Web Push (RFC 8030): the payload encrypted for one browser (aes128gcm, RFC 8291, by `http_ece`)
and the request signed with the installation's VAPID key (RFC 8292, by `py_vapid`: `Authorization:
vapid t=<JWT>,k=<public key>`, `aud` the endpoint's origin, `exp` 12 hours ahead), POSTed with
the standard library like the other adapters.

The push service answers 201 when it has queued the message; 404 or 410 when the browser has
unsubscribed (the subscription is to be forgotten); 429 or 5xx when it wants us to come back later.
"""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, VapidException

from retour.notifications.adapters.base import (
    PermanentFailure,
    SentMessage,
    SubscriptionGone,
    TemporaryFailure,
)


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A push service answers; it does not send us elsewhere. Returning None makes urllib raise
    the 3xx as an HTTPError, a permanent failure below."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


def send(
    target: PushTarget,
    payload: bytes,
    *,
    vapid_private_key: str,
    subject: str,
    ttl: int,
    topic: str,
    urgency: str = "normal",
    timeout: float = 10,
) -> SentMessage:
    """POST one encrypted message; raise SubscriptionGone, TemporaryFailure or PermanentFailure.

    `topic` (≤ 32 base64url characters) makes the push service replace a message of the same
    topic it still holds: a retry after a crash does not reach an offline browser twice.
    """
    url = urllib.parse.urlsplit(target.endpoint)
    try:
        authorization = Vapid.from_string(vapid_private_key).sign(
            {
                "sub": subject,
                "aud": f"{url.scheme}://{url.netloc}",
                "exp": int(time.time()) + 12 * 3600,
            }
        )["Authorization"]
    except VapidException as exc:  # e.g. a contact that is not a mailto: or https: URL
        raise PermanentFailure(f"VAPID: {exc}") from exc
    try:
        body = http_ece.encrypt(
            payload,
            private_key=ec.generate_private_key(ec.SECP256R1()),  # one ephemeral key per message
            dh=_unb64url(target.p256dh),
            auth_secret=_unb64url(target.auth),
            version="aes128gcm",
        )
    except (ValueError, http_ece.ECEException) as exc:  # keys that are not a P-256 point
        raise PermanentFailure(f"cannot encrypt for this subscription: {exc}") from exc
    request = urllib.request.Request(  # noqa: S310 - the subscription's endpoint, checked on subscribe
        target.endpoint,
        data=body,
        method="POST",
        headers={
            "Authorization": authorization,
            "TTL": str(ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Urgency": urgency,
            "Topic": topic,
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            text = response.read(4000).decode("utf-8", "replace")
            return SentMessage(
                provider_id=response.headers.get("Location", ""),
                status_code=response.status,
                response=text[:500],
            )
    except urllib.error.HTTPError as exc:
        text = f"HTTP {exc.code}: {exc.read(4000).decode('utf-8', 'replace')[:200]}"
        if exc.code in (404, 410):
            raise SubscriptionGone(text) from exc
        if exc.code == 429 or exc.code >= 500:
            raise TemporaryFailure(text) from exc
        raise PermanentFailure(text) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc


def _unb64url(text: str) -> bytes:
    """Browsers give the keys as base64url without padding; the decoder wants it back."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
