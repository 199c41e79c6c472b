import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_the_database_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["status"] == "ok"


def test_healthz_names_the_database_vendor(client):
    from django.db import connection

    assert client.get("/healthz").json()["database"]["vendor"] == connection.vendor


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"]["status"] == "unavailable"
