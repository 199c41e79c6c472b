"""Django's database sessions, read with one prepared query and created without asking first.

Every page of the portal and the dashboard reads its session first; Django builds that query's
SQL again on each request. `PreparedQuery` builds it once (and PostgreSQL plans it once).
"""

import secrets

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.models import Session
from django.utils import timezone

from retour.core.prepared import PreparedQuery

_SESSION = PreparedQuery(lambda key: Session.objects.filter(session_key=key), kinds=(str,))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = _SESSION.run(self.session_key)
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None

    def _get_new_session_key(self) -> str:
        """A random key, without asking the database whether it is taken (a round trip on every
        look-up): `create()` inserts it with `must_create` and draws again on a collision, which
        32 random characters never meet in practice."""
        return random_key()


def random_key(length: int = 32) -> str:
    """`length` characters of Django's session-key alphabet (a–z, 0–9), as random as Django's
    keys, from one read of the system's random source: Django reads it once per character, and
    each read lets the other threads of a worker take its turn."""
    number = secrets.randbelow(len(VALID_KEY_CHARS) ** length)
    characters = []
    for _ in range(length):
        number, index = divmod(number, len(VALID_KEY_CHARS))
        characters.append(VALID_KEY_CHARS[index])
    return "".join(characters)
