"""Rate limits counted in the database (`accounts.Throttle`): the portal's order look-up, the
staff sign-in.

Why the database and not a cache: the default cache is per process (LocMem), so each gunicorn
worker would count on its own; django-ratelimit wants Redis/Memcached, which Retour does not
require. A row per key, incremented with `F()` in one UPDATE, is shared by every process and
host and needs no extra service or `createcachetable` step.

The check happens before the look-up and the attempt is recorded after it: two requests racing
may each pass a check at `limit − 1`, so a burst can overshoot by the number of concurrent
requests — a few attempts, which does not change what an attacker can learn.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from retour.accounts.models import Throttle


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window: timedelta


def _digest(scope: str, ident: str) -> str:
    return hashlib.sha256(f"{scope}\x00{ident}".encode()).hexdigest()


def blocked(checks: list[tuple[Limit, str]]) -> timedelta | None:
    """None when every key is under its limit, else how long until the longest block ends.
    One query for all the keys."""
    now = timezone.now()
    digests = {_digest(limit.scope, ident): limit for limit, ident in checks}
    rows = Throttle.objects.filter(key__in=digests, window_ends__gt=now).values_list(
        "key", "count", "window_ends"
    )
    waits = [ends - now for key, count, ends in rows if count >= digests[key].limit]
    return max(waits) if waits else None


def record(limit: Limit, ident: str) -> None:
    """Count one attempt for `ident` in `limit`'s current window (a new window if it ended)."""
    key = _digest(limit.scope, ident)
    now = timezone.now()
    if Throttle.objects.filter(key=key, window_ends__gt=now).update(count=F("count") + 1):
        return
    # No live window: start one, over an ended one if any (an upsert: one statement). Two
    # requests racing here both write count=1: a lost attempt, within the overshoot above.
    Throttle.objects.bulk_create(
        [Throttle(key=key, count=1, window_ends=now + limit.window)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["count", "window_ends"],
    )


def purge_expired() -> int:
    """Delete ended windows (run now and then; rows of ended windows are only reused)."""
    deleted, _ = Throttle.objects.filter(window_ends__lte=timezone.now()).delete()
    return deleted


def clear(limit: Limit, ident: str) -> None:
    """Forget the attempts counted for `ident` (e.g. a username after a successful sign-in)."""
    Throttle.objects.filter(key=_digest(limit.scope, ident)).delete()
