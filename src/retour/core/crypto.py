"""Secrets at rest: credentials (carriers, shop platforms) are stored encrypted with Fernet
(AES-128-CBC + HMAC).

The key comes from `RETOUR_ENCRYPTION_KEY` (any string; rotate by re-saving the accounts) or, when
that is unset, is derived from `SECRET_KEY` with HKDF-SHA256 and a label naming what it protects
(`purpose`), so a database dump alone does not reveal a shop's credentials and a token of one kind
cannot be read as another.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@lru_cache(maxsize=8)
def _fernet(secret: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _key_material() -> str:
    return getattr(settings, "RETOUR_ENCRYPTION_KEY", "") or settings.SECRET_KEY


def encrypt_json(value: dict[str, Any], *, purpose: bytes) -> str:
    return (
        _fernet(_key_material(), purpose)
        .encrypt(json.dumps(value, sort_keys=True).encode())
        .decode()
    )


def decrypt_json(token: str, *, purpose: bytes) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet(_key_material(), purpose).decrypt(token.encode()))
    except InvalidToken as exc:  # the key changed: the credentials must be entered again
        raise ValueError("credentials cannot be decrypted with the current key") from exc
