"""The API's record of a refund finance gave back outside Retour (the manual gateway):
`POST …/refunds/{reference}/parts/{part_id}/record`, by a staff member with `refunds:write`."""

import json

import pytest

from retour.accounts.scopes import Role, Scope
from retour.refunds import services
from retour.refunds.choices import AllocationStatus, RefundStatus
from retour.refunds.models import Refund
from retour.returns.choices import ReturnStatus
from tests.factories import SYSTEM, staff_user
from tests.refunds.helpers import inspect_return, make_order, open_return

pytestmark = pytest.mark.django_db


def _waiting(store) -> Refund:
    return_request = inspect_return(open_return(make_order(store)))
    refund = services.request_refund(return_request=return_request, actor=SYSTEM)
    return services.process_refund(refund.pk)


def _url(refund: Refund, part_id: int | None = None, store: str = "store-a") -> str:
    part_id = part_id or refund.allocations.get().pk
    return f"/api/v1/stores/{store}/refunds/{refund.reference}/parts/{part_id}/record"


def _post(client, url, **body):
    body = {"reference": "VIR-2026-0042", "succeeded": True, "reason": "", **body}
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def finance(store_a, session_client):
    return session_client(staff_user(store_a, Role.FINANCE))


def test_recording_settles_the_refund_and_resolves_the_return(store_a, finance):
    refund = _waiting(store_a)
    response = _post(finance, _url(refund))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == RefundStatus.SUCCEEDED
    assert body["parts"][0]["gateway_reference"] == "VIR-2026-0042"
    refund.refresh_from_db()
    assert refund.return_request.status == ReturnStatus.RESOLVED


def test_a_failed_refund_is_recorded_with_its_reason(store_a, finance):
    refund = _waiting(store_a)
    response = _post(finance, _url(refund), succeeded=False, reason="IBAN closed")
    assert response.status_code == 200
    assert response.json()["status"] == RefundStatus.FAILED
    assert response.json()["parts"][0]["last_error"] == "IBAN closed"


def test_recording_twice_is_409_and_changes_nothing(store_a, finance):
    refund = _waiting(store_a)
    _post(finance, _url(refund))
    again = _post(finance, _url(refund), reference="VIR-OTHER")
    assert again.status_code == 409
    assert "not waiting" in again.json()["message"]
    assert refund.allocations.get().gateway_reference == "VIR-2026-0042"


def test_an_empty_reference_is_422(store_a, finance):
    refund = _waiting(store_a)
    assert _post(finance, _url(refund), reference="").status_code == 422
    assert refund.allocations.get().status == AllocationStatus.PENDING


def test_an_unknown_part_or_another_stores_refund_is_404(store_a, store_b, finance, session_client):
    refund = _waiting(store_a)
    other = _waiting(store_b)
    assert _post(finance, _url(refund, part_id=other.allocations.get().pk)).status_code == 404
    assert _post(finance, _url(other)).status_code == 404
    store_b_finance = session_client(staff_user(store_b, Role.FINANCE))
    assert _post(store_b_finance, _url(refund)).status_code == 404
    assert refund.allocations.get().status == AllocationStatus.PENDING


def test_support_without_the_scope_gets_403(store_a, session_client):
    refund = _waiting(store_a)
    support = session_client(staff_user(store_a, Role.SUPPORT))
    assert _post(support, _url(refund)).status_code == 403


def test_an_api_key_is_refused_a_person_records_it(store_a, key_client):
    refund = _waiting(store_a)
    client = key_client(store_a, [Scope.REFUNDS_WRITE])
    response = _post(client, _url(refund))
    assert response.status_code == 403
    assert "staff member" in response.json()["message"]
    assert refund.allocations.get().status == AllocationStatus.PENDING
