"""The installation's VAPID key pair (RFC 8292) and the contact it signs with.

Browsers subscribe with the public key (`applicationServerKey`) and push services accept only
messages signed by its private key, so the pair is made once and kept: `RETOUR_VAPID_PRIVATE_KEY`
when set (production, several installations sharing subscriptions), else one database row created
on first use with its private key encrypted like the other secrets (`core.crypto`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.utils import parseaddr

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from retour.commerce.models import Store
from retour.core.crypto import decrypt_json, encrypt_json
from retour.notifications.models import VapidKeyPair

PURPOSE = b"retour.notifications.vapid"


@dataclass(frozen=True)
class VapidKey:
    public_key: str
    """Base64url (no padding) of the uncompressed P-256 point: the `applicationServerKey`."""
    private_key: str
    """Base64url of the raw 32-byte private scalar, as py-vapid reads it."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; raises ValueError on anything else (the standard
    library would skip foreign characters)."""
    bare = text.strip().rstrip("=")
    if not bare or any(c not in _B64URL for c in bare):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


def _pair(private: ec.EllipticCurvePrivateKey) -> VapidKey:
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return VapidKey(public_key=b64url(public), private_key=b64url(scalar))


def _from_raw(private_key: str) -> VapidKey:
    scalar = int.from_bytes(b64url_decode(private_key), "big")
    return _pair(ec.derive_private_key(scalar, ec.SECP256R1()))


def installation_key() -> VapidKey:
    """The key pair every subscription and every push of this installation uses."""
    configured = settings.RETOUR_PUSH["VAPID_PRIVATE_KEY"]
    if configured:
        return _from_raw(configured)
    row = VapidKeyPair.objects.filter(pk=1).first()
    if row is None:
        fresh = _pair(ec.generate_private_key(ec.SECP256R1()))
        # Two first uses at once: the unique primary key keeps one pair, the other is dropped
        # before anyone saw it.
        row, _created = VapidKeyPair.objects.get_or_create(
            pk=1,
            defaults={
                "public_key": fresh.public_key,
                "private_key": encrypt_json({"private_key": fresh.private_key}, purpose=PURPOSE),
            },
        )
    secret = decrypt_json(row.private_key, purpose=PURPOSE)["private_key"]
    return VapidKey(public_key=row.public_key, private_key=secret)


def contact(store: Store) -> str:
    """The VAPID `sub` claim: whom a push service contacts about our messages."""
    configured = settings.RETOUR_PUSH["VAPID_SUBJECT"]
    if configured:
        return configured
    address = store.support_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return f"mailto:{address}"
