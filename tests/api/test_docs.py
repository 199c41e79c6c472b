import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Retour API"


def test_the_openapi_document_declares_bearer_authentication(client):
    schemes = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]

    assert any(scheme.get("scheme") == "bearer" for scheme in schemes.values())


def test_the_interactive_docs_answer(client):
    assert client.get("/api/v1/docs").status_code == 200
