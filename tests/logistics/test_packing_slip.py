"""The A4 packing slip: the RMA and every item barcode scan, long returns continue on more
pages, captions follow the language."""

from __future__ import annotations

import pytest

from retour.logistics.documents import PackingSlipItem, render_packing_slip_pdf
from tests.logistics.samples import (
    ITEMS,
    char_boxes,
    decode,
    packing_slip,
    page_size,
    pages,
    rasterize,
    text,
)


@pytest.mark.parametrize("dpi", [200, 300])
def test_rma_and_every_item_barcode_decode(dpi: int) -> None:
    pdf = render_packing_slip_pdf(packing_slip())

    found = decode(rasterize(pdf, dpi))
    assert found == sorted(
        [("Code128", "RMA-2026-000123")]
        + [("Code128", item.barcode_value) for item in ITEMS]  # EAN when known, else SKU
    )


def test_page_is_a4_with_the_items() -> None:
    pdf = render_packing_slip_pdf(packing_slip())

    width, height = page_size(pdf)
    assert (round(width), round(height)) == (595, 842)
    content = text(pdf)
    for expected in ("TSHIRT-BLUE-M", "T-shirt coton bio « Été »", "Taille M, Bleu", "#10234"):
        assert expected in content
    assert "Drop the parcel off within 14 days." in content


def test_captions_follow_the_language() -> None:
    english = text(render_packing_slip_pdf(packing_slip(), language="en"))
    french = text(render_packing_slip_pdf(packing_slip(), language="fr"))

    assert "Return packing slip" in english
    assert "Order" in english
    assert "Total items: 4" in english
    assert "Bordereau de retour" in french
    assert "Commande" in french
    assert "Total articles : 4" in french
    assert "Page 1 sur 1" in french


def test_long_returns_continue_on_further_pages() -> None:
    items = [
        PackingSlipItem(sku=f"SKU-{i:03d}", title=f"Article {i}", quantity=1) for i in range(25)
    ]
    pdf = render_packing_slip_pdf(packing_slip(items=items))

    count = pages(pdf)
    assert count > 1
    found: set[str] = set()
    for page in range(count):
        values = {value for _format, value in decode(rasterize(pdf, 200, page))}
        assert "RMA-2026-000123" in values  # every page can be scanned on its own
        found |= values
        assert f"Page {page + 1} of {count}" in text(pdf, page)
    assert {f"SKU-{i:03d}" for i in range(25)} <= found


def test_barcode_values_must_be_ascii() -> None:
    item = PackingSlipItem(sku="ÉTÉ-1", title="Été", quantity=1)
    with pytest.raises(ValueError, match="Code 128"):
        render_packing_slip_pdf(packing_slip(items=[item]))


def test_long_texts_stay_inside_the_page_margins() -> None:
    item = PackingSlipItem(
        sku="SKU-WITH-A-VERY-LONG-REFERENCE-0123456789",
        title="Robe longue en lin lavé " * 6,
        options="Taille 38, Couleur terracotta, Longueur ajustée " * 3,
        quantity=12,
        reason="L'article ne correspond pas du tout à la photo du site " * 3,
    )
    slip = packing_slip(items=[item], store_name="Maison " * 30, instructions="Texte " * 400)
    pdf = render_packing_slip_pdf(slip, language="fr")

    width, height = page_size(pdf)
    for char, (left, bottom, right, top) in char_boxes(pdf):
        assert left >= 39, char  # the 40 pt margin, less rounding
        assert right <= width - 39, char
        assert bottom >= 39, char
        assert top <= height - 39, char
    assert ("Code128", item.sku) in decode(rasterize(pdf, 300))
