"""The order look-up's rate limits: the database limiter of `accounts.throttle` (shared with the
staff sign-in, rows in `accounts.Throttle`), with the portal's own limits."""

from datetime import timedelta

from django.conf import settings

from retour.accounts.throttle import Limit, blocked, record

__all__ = ["Limit", "blocked", "lookup_limits", "record"]


def lookup_limits() -> tuple[Limit, Limit]:
    """The order look-up's limits (settings `RETOUR_PORTAL`): attempts per IP address, and
    failures per order number. Every form that finds an order by number counts in them."""
    conf = getattr(settings, "RETOUR_PORTAL", {})
    per_ip = Limit(
        "lookup-ip",
        conf.get("LOOKUPS_PER_IP", 30),
        timedelta(seconds=conf.get("LOOKUP_IP_WINDOW", 600)),
    )
    per_order = Limit(
        "lookup-order",
        conf.get("FAILURES_PER_ORDER", 5),
        timedelta(seconds=conf.get("ORDER_WINDOW", 900)),
    )
    return per_ip, per_order
