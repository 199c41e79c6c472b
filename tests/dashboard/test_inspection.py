"""Inspection and disposition in the dashboard, as plain forms: the list, the page of a return,
grading, the refund outcome, dispositions and restocks, corrections, photos, store isolation."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from retour.commerce.models import StockMovement
from retour.core.actors import Actor
from retour.events.models import OutboxEvent
from retour.portal.models import Photo
from retour.returns.choices import LineStatus, ReturnStatus
from retour.returns.models import ReturnEvent
from retour.warehouse import services
from retour.warehouse.choices import Disposition, Outcome
from retour.warehouse.models import InspectionUnit, Receipt, ReceivingDiscrepancy
from tests.notifications.helpers import drain
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def bench(session_client, warehouse_a):
    return session_client(warehouse_a)


@pytest.fixture
def received(store_a, warehouse_a):
    """A return of store A whose parcel held 2 of the first line's units and the second's one."""
    warehouse_of(store_a)
    return_request, lines = parcel_on_its_way(store_a)
    services.receive_parcel(
        return_request=return_request,
        warehouse=None,
        quantities={lines[0].pk: 2, lines[1].pk: 1},
        actor=Actor.staff(warehouse_a),
    )
    return return_request, lines


def _sheet_url(return_request):
    return reverse("dashboard:inspection-sheet", args=[return_request.pk])


def _inspect_url(return_request, line, unit=1):
    return reverse("dashboard:inspection-inspect", args=[return_request.pk, line.pk, unit])


def _dispose_url(return_request, line, unit=1):
    return reverse("dashboard:inspection-dispose", args=[return_request.pk, line.pk, unit])


def _png(name="bench.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_the_list_shows_the_returns_waiting_and_a_scan_opens_one(bench, received):
    return_request, _lines = received

    page = bench.get(reverse("dashboard:inspection")).content.decode()
    opened = bench.get(reverse("dashboard:inspection"), {"code": "6a123456789fr"})

    assert return_request.rma in page
    assert "0 / 3" in page
    assert opened.status_code == 302
    assert opened["Location"] == _sheet_url(return_request)


def test_a_scan_matching_nothing_says_so(bench, received):
    response = bench.get(reverse("dashboard:inspection"), {"code": "R-XXXX-XXXX"})

    assert response.status_code == 404
    assert "No return matches R-XXXX-XXXX." in response.content.decode()


def test_the_page_shows_each_received_unit_with_the_grades_and_checklist(bench, received):
    return_request, (first, second) = received

    page = bench.get(_sheet_url(return_request)).content.decode()

    assert page.count('name="grade" value="A"') == 3  # 2 + 1 units
    assert "Tags on" in page  # the apparel checklist
    assert "3 to inspect, 0 to dispose of" in page
    assert _inspect_url(return_request, first, 2) in page


def test_a_partial_refund_is_recorded_with_its_deduction_and_reason(bench, received):
    return_request, (first, _second) = received

    response = bench.post(
        _inspect_url(return_request, first),
        {
            "grade": "c",
            "checklist_items": ["tags_on", "signs_of_wear"],
            "checklist": ["signs_of_wear"],
            "outcome": Outcome.PARTIAL,
            "deduction": "2,50",
            "reason": "Stain on the sleeve",
            "notes": "washed",
            "photos": [_png()],
        },
    )

    assert response.status_code == 302
    unit = InspectionUnit.objects.get(return_line=first, unit_index=1)
    assert (unit.grade, unit.outcome, unit.deduction) == ("C", Outcome.PARTIAL, Decimal("2.50"))
    assert unit.checklist == {"tags_on": False, "signs_of_wear": True}
    assert (unit.reason, unit.notes, len(unit.photos)) == ("Stain on the sleeve", "washed", 1)
    assert unit.inspected_by.username == "warehouse-a"
    page = bench.get(response["Location"]).content.decode()
    assert "Unit 1 inspected: grade C, Partial refund." in page
    photo = bench.get(reverse("dashboard:unit-photo", args=[unit.pk, 0]))
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/png"


def test_a_deduction_above_what_the_grade_allows_is_refused_and_nothing_written(bench, received):
    return_request, (first, _second) = received

    response = bench.post(
        _inspect_url(return_request, first),
        {"grade": "C", "outcome": Outcome.PARTIAL, "deduction": "1000", "reason": "Torn"},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "the policy allows a deduction of at most" in page
    assert 'value="Torn"' in page  # what was typed is kept
    assert not InspectionUnit.objects.exists()


@pytest.mark.parametrize("bad", [{"grade": "Z"}, {"grade": "A", "deduction": "abc"}])
def test_bad_input_is_refused_with_a_reason(bench, received, bad):
    return_request, (first, _second) = received

    response = bench.post(_inspect_url(return_request, first), bad)

    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not InspectionUnit.objects.exists()


def test_a_file_that_is_no_image_is_refused(bench, received):
    return_request, (first, _second) = received
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")

    response = bench.post(_inspect_url(return_request, first), {"grade": "A", "photos": [fake]})

    assert response.status_code == 422
    assert "is not a photo we can keep" in response.content.decode()
    assert not InspectionUnit.objects.exists()


def test_the_last_unit_inspected_tells_the_refund_its_deductions(bench, received):
    return_request, (first, second) = received
    bench.post(_inspect_url(return_request, first, 1), {"grade": "A"})
    bench.post(
        _inspect_url(return_request, first, 2),
        {"grade": "C", "outcome": "partial", "deduction": "3", "reason": "Scuffed"},
    )
    bench.post(_inspect_url(return_request, second, 1), {"grade": "D"})

    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.INSPECTED
    event = OutboxEvent.objects.get(type="return.inspected")
    assert event.payload["data"]["deductions"] == {
        str(first.pk): {"amount": "3.00", "reason": "Scuffed"}
    }


def test_restocking_from_the_page_writes_the_stock_ledger(bench, received):
    return_request, (first, _second) = received
    bench.post(_inspect_url(return_request, first), {"grade": "A"})

    response = bench.post(_dispose_url(return_request, first), {"disposition": "restock"})

    assert response.status_code == 302
    movement = StockMovement.objects.get()
    assert (movement.variant_id, movement.delta, movement.warehouse.code) == (
        first.order_line.variant_id,
        1,
        "lyon",
    )
    page = bench.get(response["Location"]).content.decode()
    assert f"Restocked as {first.order_line.sku}." in page


def test_a_disposition_other_than_suggested_needs_a_reason(bench, received):
    return_request, (first, _second) = received
    bench.post(_inspect_url(return_request, first), {"grade": "A"})

    refused = bench.post(_dispose_url(return_request, first), {"disposition": "donate"})
    done = bench.post(
        _dispose_url(return_request, first),
        {"disposition": "donate", "override_reason": "Charity drive this week"},
    )

    assert refused.status_code == 422
    assert "Say why the suggested disposition is not followed." in refused.content.decode()
    assert done.status_code == 302
    unit = InspectionUnit.objects.get(return_line=first, unit_index=1)
    assert (unit.disposition, unit.disposition_override_by.username) == (
        Disposition.DONATE,
        "warehouse-a",
    )


def test_a_forbidden_destruction_is_refused_with_the_law_cited_and_its_derogations_offered(
    bench, received
):
    return_request, (first, _second) = received
    bench.post(_inspect_url(return_request, first), {"grade": "D"})
    page = bench.get(_sheet_url(return_request)).content.decode()
    assert "Reuse or recycling would pose a serious risk to health or safety" in page

    response = bench.post(
        _dispose_url(return_request, first),
        {"disposition": "destroy", "override_reason": "Mould"},
    )

    assert response.status_code == 422
    assert "L541-15-8" in response.content.decode()
    assert InspectionUnit.objects.get(return_line=first, unit_index=1).disposed_at is None


def test_staff_of_another_store_get_404_everywhere(session_client, staff_b, received):
    return_request, (first, _second) = received
    client = session_client(staff_b)
    services.inspect_unit(return_line=first, unit_index=1, grade="A", actor=Actor.system("t"))
    unit = InspectionUnit.objects.get()

    assert return_request.rma not in client.get(reverse("dashboard:inspection")).content.decode()
    assert client.get(_sheet_url(return_request)).status_code == 404
    assert client.post(_inspect_url(return_request, first, 2), {"grade": "A"}).status_code == 404
    assert client.post(_dispose_url(return_request, first), {}).status_code == 404
    correct = reverse("dashboard:inspection-correct", args=[return_request.pk])
    assert client.post(correct, {"reason": "x"}).status_code == 404
    assert client.get(reverse("dashboard:unit-photo", args=[unit.pk, 0])).status_code == 404
    assert InspectionUnit.objects.count() == 1
    assert not StockMovement.objects.exists()


def test_a_role_without_the_warehouse_scope_is_refused(session_client, store_a, received):
    from retour.accounts.scopes import Role
    from tests.factories import staff_user

    finance = session_client(staff_user(store_a, Role.FINANCE, username="finance-a"))

    assert finance.get(reverse("dashboard:inspection")).status_code == 403


def _correct(client, return_request, reason="Recounted", **counts):
    return client.post(
        reverse("dashboard:inspection-correct", args=[return_request.pk]),
        {"reason": reason, **{f"count-{line_id}": n for line_id, n in counts.items()}},
    )


def test_the_owner_corrects_the_counts_with_a_reason(session_client, owner_a, received):
    return_request, (first, second) = received

    response = _correct(session_client(owner_a), return_request, **{str(first.pk): 1})

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.received_qty == 1
    missing = ReceivingDiscrepancy.objects.get(return_line=first, kind="missing")
    assert missing.quantity == 1
    assert Receipt.objects.get().received_units == 2
    event = ReturnEvent.objects.filter(kind="receipt_corrected").get()
    assert event.data == {"reason": "Recounted", "lines": [{"line": first.pk, "from": 2, "to": 1}]}
    assert (event.actor_kind, event.actor_user_id) == ("staff", owner_a.pk)


def test_the_operator_cannot_correct_the_counts(bench, received):
    return_request, (first, _second) = received

    response = _correct(bench, return_request, **{str(first.pk): 1})

    assert response.status_code == 403
    first.refresh_from_db()
    assert first.received_qty == 2


def test_a_correction_cannot_go_below_the_units_inspected(session_client, owner_a, received):
    return_request, (first, second) = received
    services.inspect_unit(return_line=first, unit_index=2, grade="A", actor=Actor.system("t"))
    client = session_client(owner_a)

    below = _correct(client, return_request, **{str(first.pk): 1})
    no_reason = _correct(client, return_request, reason=" ", **{str(second.pk): 0})

    assert below.status_code == 409
    assert no_reason.status_code == 422
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.received_qty, second.received_qty) == (2, 1)
    assert not ReturnEvent.objects.filter(kind="receipt_corrected").exists()


def test_correcting_the_last_uninspected_units_away_settles_the_return(
    session_client, owner_a, received
):
    return_request, (first, second) = received
    for index in (1, 2):
        services.inspect_unit(
            return_line=first, unit_index=index, grade="A", actor=Actor.system("t")
        )

    _correct(session_client(owner_a), return_request, **{str(second.pk): 0})

    return_request.refresh_from_db()
    second.refresh_from_db()
    assert return_request.status == ReturnStatus.INSPECTED
    assert (second.status, second.received_qty) == (LineStatus.INSPECTED, 0)


def _shopper_photo(store, line):
    photo = Photo(store=store, return_line=line, width=8, height=8)
    photo.file.save("stain.png", ContentFile(_png().read()), save=False)
    photo.save()
    return photo


def test_the_shoppers_photos_are_shown_to_the_store_only(
    bench, session_client, staff_b, store_a, received
):
    return_request, (first, _second) = received
    photo = _shopper_photo(store_a, first)
    url = reverse("dashboard:shopper-photo", args=[first.pk, photo.pk])

    page = bench.get(_sheet_url(return_request)).content.decode()
    served = bench.get(url)

    assert url in page
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert session_client(staff_b).get(url).status_code == 404


def _queries(client, url) -> int:
    """The queries of one page view (after one view that settles the session's bookkeeping)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _received_return(store, operator, lines, tracking):
    return_request, lines = parcel_on_its_way(store, lines=lines, tracking=tracking, barcodes=False)
    services.receive_parcel(
        return_request=return_request,
        warehouse=None,
        quantities={line.pk: 1 for line in lines},
        actor=Actor.staff(operator),
    )
    return return_request, lines


def test_the_page_takes_as_many_queries_for_1_line_as_for_50(bench, store_a, warehouse_a):
    warehouse_of(store_a)
    counts = []
    for size, tracking in ((1, "6A1"), (50, "6A50")):
        return_request, lines = _received_return(store_a, warehouse_a, [1] * size, tracking)
        services.inspect_unit(
            return_line=lines[0], unit_index=1, grade="B", actor=Actor.system("t")
        )
        for line in lines:
            _shopper_photo(store_a, line)
        counts.append(_queries(bench, _sheet_url(return_request)))

    assert counts[0] == counts[1] <= 20


def test_the_list_takes_as_many_queries_for_1_return_as_for_30(bench, store_a, warehouse_a):
    warehouse_of(store_a)
    _received_return(store_a, warehouse_a, [1], "6A0")
    one = _queries(bench, reverse("dashboard:inspection"))
    for n in range(1, 30):
        _received_return(store_a, warehouse_a, [1], f"6A{n}")

    thirty = _queries(bench, reverse("dashboard:inspection"))

    assert one == thirty <= 10
    assert bench.get(reverse("dashboard:inspection")).content.decode().count("0 / 1") == 30


def test_a_line_of_another_return_cannot_be_reached_through_this_one(bench, store_b, received):
    return_request, _lines = received
    _other_return, other_lines = parcel_on_its_way(store_b, lines=[1], tracking="6B1")

    response = bench.post(_inspect_url(return_request, other_lines[0]), {"grade": "A"})

    assert response.status_code == 404
    assert not InspectionUnit.objects.exists()


def test_from_the_label_scan_to_the_stock_and_the_shoppers_emails(bench, store_a):
    """Label scan → match → partial receipt (a unit missing, a wrong item) → grades → refund
    outcomes → dispositions → stock movements → the shopper told, all through the dashboard."""
    warehouse_of(store_a)
    return_request, (first, second) = parcel_on_its_way(store_a)
    scan = reverse("dashboard:receiving-scan")
    for code in ("6A123456789FR", "3700000000011", "9999999999994", "RECEIVE"):
        bench.post(scan, {"code": code})
    receipt = Receipt.objects.get(return_request=return_request)
    kinds = sorted(receipt.discrepancies.values_list("kind", "quantity"))
    assert kinds == [("missing", 1), ("missing", 1), ("wrong_item", 1)]

    assert bench.get(_sheet_url(return_request)).content.decode().count('name="grade"') > 0
    bench.post(_inspect_url(return_request, first), {"grade": "B"})
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.INSPECTED  # the second line had nothing
    bench.post(_dispose_url(return_request, first), {"disposition": "restock_graded"})

    movement = StockMovement.objects.get()
    assert (movement.variant.sku, movement.delta) == (f"{first.order_line.sku}-B", 1)
    assert OutboxEvent.objects.filter(type="stock.restocked").count() == 1
    drain()
    subjects = [message.subject for message in mail.outbox]
    assert f"We have received your return {return_request.rma}" in subjects
    assert f"Your returned items {return_request.rma} have been checked" in subjects


def test_the_page_speaks_french(bench, received):
    return_request, _lines = received

    page = bench.get(_sheet_url(return_request), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert f"Contrôle de {return_request.rma}" in page
    assert "Étiquettes présentes" in page  # the checklist, in the staff member's language
    assert "Enregistrer le contrôle de l’unité 1" in page


def test_a_photo_name_outside_the_stores_folder_is_never_served(bench, store_a, received):
    return_request, (first, _second) = received
    services.inspect_unit(
        return_line=first,
        unit_index=1,
        grade="A",
        photos=["portal/2/someone-elses.jpg"],  # named by an API client
        actor=Actor.system("t"),
    )
    unit = InspectionUnit.objects.get()

    assert bench.get(reverse("dashboard:unit-photo", args=[unit.pk, 0])).status_code == 404
