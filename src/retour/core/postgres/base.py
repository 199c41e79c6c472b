"""Django's PostgreSQL backend, with a health check that costs no round trip.

With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` before the first query of every request that
reuses a connection: one more round trip on each page, and in a threaded worker one more time the
GIL is given up and waited for again (12 % of a portal page's time under load, py-spy). An idle
connection has nothing to read; one the server has ended (restart, failover, an idle timeout,
`pg_terminate_backend`) has its FATAL message or its end waiting on the socket: a non-blocking
look at the socket tells them apart without asking the server.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()  # mid-transaction: only the server can say
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
        return not readable
