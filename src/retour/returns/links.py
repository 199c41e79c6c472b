"""The shopper's signed link to a return's tracking page: no account, no password.

The link carries an HMAC of the store and the RMA (Django's signer, salted for this use), so it
cannot be forged or moved to another return, and it does not expire: e-mails sent months ago
still open the page. The portal checks it (`check_tracking_token`); e-mails build it
(`tracking_path`).
"""

from django.core import signing
from django.utils.crypto import constant_time_compare

_SALT = "retour.returns.tracking"


def _value(store_slug: str, rma: str) -> str:
    return f"{store_slug}:{rma}"


def tracking_token(store_slug: str, rma: str) -> str:
    return signing.Signer(salt=_SALT).signature(_value(store_slug, rma))


def check_tracking_token(store_slug: str, rma: str, token: str) -> bool:
    return constant_time_compare(tracking_token(store_slug, rma), token or "")


def tracking_path(store_slug: str, rma: str) -> str:
    """The signed link's path; the portal serves it and sends the shopper on to the clean page.
    Sub-pages (`label/`, `feedback/`) may be appended."""
    return f"/returns/{store_slug}/track/{rma}/{tracking_token(store_slug, rma)}/"
