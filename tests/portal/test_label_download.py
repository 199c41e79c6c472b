"""The shopper downloads the return label from the confirmation and tracking pages; only a
session that may follow the return gets it, and the label look-up costs one constant query."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from retour.logistics.documents import render_label_pdf
from retour.logistics.models import Shipment
from retour.returns import services as returns
from retour.returns.models import Return
from tests.factories import SYSTEM
from tests.logistics.factories import CarrierAccountFactory
from tests.logistics.samples import label
from tests.portal.flow import look_up, walk_to_review
from tests.portal.helpers import shopper_order

pytestmark = pytest.mark.django_db

DOWNLOAD = "Download your return label (PDF)"
QR = "Show the QR code at the drop-off point"
PREPARING = "Your label is being prepared"


def _opened(store, *, lines=1, number="1042", email="ada@example.com") -> tuple[Client, Return]:
    order = shopper_order(store, lines=lines, number=number, email=email)
    client = Client(REMOTE_ADDR=f"10.2.0.{lines}")
    look_up(client, store.slug, number, email)
    walk_to_review(client, store.slug, order)
    client.post(f"/returns/{store.slug}/review")
    return client, Return.objects.get(order=order)


def _with_label(return_request: Return, **kwargs) -> Shipment:
    if return_request.status != "approved":
        returns.approve_return(return_request=return_request, actor=SYSTEM)
    return Shipment.objects.create(
        store=return_request.store,
        return_request=return_request,
        account=CarrierAccountFactory(store=return_request.store),
        status="created",
        idempotency_key=f"{return_request.rma}-1",
        carrier_name="Retour Own Label",
        tracking_number=f"RT{return_request.pk:08d}",
        label_pdf=render_label_pdf(label(rma=return_request.rma)),
        **kwargs,
    )


def test_a_session_with_access_downloads_the_label(store_a):
    client, opened = _opened(store_a)
    _with_label(opened)

    response = client.get(f"/returns/store-a/track/{opened.rma}/label.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="return-label-{opened.rma}.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_another_session_gets_the_same_404_as_for_an_unknown_return(store_a):
    _client, opened = _opened(store_a)
    _with_label(opened)
    stranger = Client()

    refused = stranger.get(f"/returns/store-a/track/{opened.rma}/label.pdf")
    unknown = stranger.get("/returns/store-a/track/RMA-0000-000000/label.pdf")

    assert refused.status_code == unknown.status_code == 404
    assert b"%PDF" not in refused.content
    assert refused["Content-Type"] == unknown["Content-Type"]


def test_another_store_does_not_serve_the_label(store_a, store_b):
    client, opened = _opened(store_a)
    _with_label(opened)

    assert client.get(f"/returns/store-b/track/{opened.rma}/label.pdf").status_code == 404


def test_the_pages_link_the_label_and_the_qr_code(store_a):
    client, opened = _opened(store_a)
    _with_label(opened, qr_code_url="https://carrier.example.com/qr/123")
    pdf_url = f"/returns/store-a/track/{opened.rma}/label.pdf"

    for url in (
        f"/returns/store-a/confirmation/{opened.rma}",
        f"/returns/store-a/track/{opened.rma}/",
    ):
        page = client.get(url).content.decode()
        assert DOWNLOAD in page
        assert f'href="{pdf_url}"' in page
        assert QR in page
        assert "https://carrier.example.com/qr/123" in page
        assert PREPARING not in page

    french = client.get(f"/returns/store-a/track/{opened.rma}/?lang=fr").content.decode()
    assert "Télécharger votre étiquette de retour (PDF)" in french
    assert "Présentez le code QR au point de dépôt" in french


def test_without_a_label_the_pages_say_it_is_being_prepared(store_a):
    client, opened = _opened(store_a)
    returns.approve_return(return_request=opened, actor=SYSTEM)

    for url in (
        f"/returns/store-a/confirmation/{opened.rma}",
        f"/returns/store-a/track/{opened.rma}/",
    ):
        page = client.get(url).content.decode()
        assert PREPARING in page
        assert DOWNLOAD not in page
        assert "label.pdf" not in page
        assert QR not in page
    assert client.get(f"/returns/store-a/track/{opened.rma}/label.pdf").status_code == 404


def test_a_voided_label_is_no_longer_offered(store_a):
    client, opened = _opened(store_a)
    shipment = _with_label(opened)
    Shipment.objects.filter(pk=shipment.pk).update(status="voided")

    assert DOWNLOAD not in client.get(f"/returns/store-a/track/{opened.rma}/").content.decode()
    assert client.get(f"/returns/store-a/track/{opened.rma}/label.pdf").status_code == 404


def _tracking_queries(store, lines: int, number: str) -> int:
    client, opened = _opened(store, lines=lines, number=number, email=f"n{number}@example.com")
    _with_label(opened)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/returns/{store.slug}/track/{opened.rma}/")
    assert page.status_code == 200
    assert DOWNLOAD in page.content.decode()
    return len(queries)


def test_the_tracking_page_with_a_label_costs_as_much_for_50_lines_as_for_1(store_a):
    assert _tracking_queries(store_a, 50, "3102") == _tracking_queries(store_a, 1, "3101")
