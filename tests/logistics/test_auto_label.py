"""Seed step 2: an approved return gets its label without anyone asking, from a background job
enqueued in the approving transaction."""

import pytest

from retour.core.jobs import run_ready_jobs
from retour.logistics.jobs import issue_label_for_return
from retour.logistics.models import Shipment
from retour.returns import services
from retour.returns.choices import ReturnMethod, ReturnStatus
from tests.factories import SYSTEM
from tests.logistics.factories import approved_return, warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(store_a):
    warehouse(store_a)
    return approved_return(store_a, status=ReturnStatus.REQUESTED)


def test_approving_a_return_makes_its_label_in_the_background(requested):
    services.approve_return(return_request=requested, actor=SYSTEM)
    assert not Shipment.objects.filter(return_request=requested).exists()  # not in the request

    run_ready_jobs()

    requested.refresh_from_db()
    assert requested.status == ReturnStatus.LABEL_ISSUED
    shipment = Shipment.objects.get(return_request=requested)
    assert bytes(shipment.label_pdf).startswith(b"%PDF")
    assert requested.tracking_number == shipment.tracking_number


def test_a_return_in_store_gets_no_label(requested):
    requested.method = ReturnMethod.IN_STORE
    requested.save(update_fields=["method"])

    services.approve_return(return_request=requested, actor=SYSTEM)
    run_ready_jobs()

    requested.refresh_from_db()
    assert requested.status == ReturnStatus.APPROVED
    assert not Shipment.objects.filter(return_request=requested).exists()


def test_a_return_cancelled_before_the_job_runs_is_left_alone(requested):
    services.approve_return(return_request=requested, actor=SYSTEM)
    services.cancel_return(return_request=requested, actor=SYSTEM)

    run_ready_jobs()

    requested.refresh_from_db()
    assert requested.status == ReturnStatus.CANCELLED
    assert not Shipment.objects.filter(return_request=requested).exists()


def test_running_the_job_twice_makes_one_label(requested):
    services.approve_return(return_request=requested, actor=SYSTEM)
    run_ready_jobs()

    assert issue_label_for_return.call(str(requested.pk)) == "skipped"
    assert Shipment.objects.filter(return_request=requested).count() == 1
