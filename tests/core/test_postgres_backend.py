"""The health check that costs no round trip: a live idle connection passes, one the server has
ended fails and the next request gets a new one."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _server_side_end(pid: int) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_an_idle_live_connection_is_usable():
    connection.ensure_connection()
    assert connection.is_usable()


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced():
    connection.ensure_connection()
    _server_side_end(connection.connection.info.backend_pid)
    time.sleep(0.2)  # the FATAL message reaches our socket
    assert not connection.is_usable()

    # As at the start of a request: the check closes it, the next query opens a new one.
    connection.health_check_enabled, connection.health_check_done = True, False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
