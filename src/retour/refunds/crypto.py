"""Payment gateways' secrets at rest (a store's Stripe secret key and webhook signing secret):
`core.crypto` with the refunds' own key label, so a carrier's or a platform's token cannot be read
as one of these, nor the reverse."""

from __future__ import annotations

from retour.core import crypto

_PURPOSE = b"retour.refunds.gateway-secrets.v1"


def encrypt_secret(value: str) -> str:
    """The token kept in the database; an empty secret stays empty (nothing is set)."""
    return crypto.encrypt_json({"secret": value}, purpose=_PURPOSE) if value else ""


def decrypt_secret(token: str) -> str:
    """The secret itself. Raises ValueError when the encryption key changed since it was saved
    (it must then be entered again)."""
    return str(crypto.decrypt_json(token, purpose=_PURPOSE).get("secret", ""))
