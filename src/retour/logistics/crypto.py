"""Carrier credentials at rest: `core.crypto` with the carriers' own key label."""

from __future__ import annotations

from typing import Any

from retour.core import crypto

_PURPOSE = b"retour.logistics.carrier-credentials.v1"


def encrypt_json(value: dict[str, Any]) -> str:
    return crypto.encrypt_json(value, purpose=_PURPOSE)


def decrypt_json(token: str) -> dict[str, Any]:
    return crypto.decrypt_json(token, purpose=_PURPOSE)
