"""Django's database sessions, read with one prepared query.

Every page of the portal and the dashboard reads its session first; Django builds that query's
SQL again on each request. `PreparedQuery` builds it once (and PostgreSQL plans it once).
"""

from django.contrib.sessions.backends import db
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
