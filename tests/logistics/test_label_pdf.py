"""The 4×6 PDF label: a scanner reads both codes at thermal-printer resolutions, captions follow
the language, and long customer text never leaves its box."""

from __future__ import annotations

import pytest
from django.utils import translation

from retour.logistics.documents import Address, render_label_pdf, render_labels_pdf
from retour.logistics.documents import label as layout
from retour.logistics.documents import pdf as drawing
from tests.logistics.samples import (
    TRACKING,
    URL,
    char_boxes,
    decode,
    label,
    page_size,
    pages,
    rasterize,
    text,
)

RULES = (
    layout.HEADER_BOTTOM,
    layout.FROM_BOTTOM,
    layout.TO_BOTTOM,
    layout.RMA_BOTTOM,
    layout.BARCODE_BOTTOM,
)


@pytest.mark.parametrize("dpi", [203, 300])
def test_codes_decode_at_printer_resolutions(dpi: int) -> None:
    pdf = render_label_pdf(label())

    assert decode(rasterize(pdf, dpi)) == [("Code128", TRACKING), ("QRCode", URL)]


def test_page_is_4_by_6_inches() -> None:
    pdf = render_label_pdf(label())

    assert pdf.startswith(b"%PDF-")
    assert page_size(pdf) == (288, 432)


def test_label_shows_rma_item_count_and_both_addresses() -> None:
    content = text(render_label_pdf(label(item_count=7)))

    for expected in (
        "RMA-2026-000123",
        "Françoise Lœvenbruck-Dupré",  # œ is outside Latin-1: the embedded font draws it
        "12 rue de l'Église",
        "Maison Exemple — Entrepôt retours",
        "69800 Saint-Priest",
        "FRANCE",
        "7",
        TRACKING,
    ):
        assert expected in content


def test_captions_follow_the_language() -> None:
    english = text(render_label_pdf(label(), language="en"))
    french = text(render_label_pdf(label(), language="fr"))

    assert "RETURN" in english
    assert "FROM" in english
    assert "Tracking no." in english
    assert "1.25 kg" in english
    assert "RETOUR" in french
    assert "EXPÉDITEUR" in french
    assert "N° de suivi" in french
    assert "1,25 kg" in french  # numbers are localized too


def test_language_defaults_to_the_active_one() -> None:
    with translation.override("fr"):
        assert "DESTINATAIRE" in text(render_label_pdf(label()))


def test_long_addresses_are_wrapped_or_cut_inside_their_sections() -> None:
    long = Address(
        name="Maximilienne-Éléonore de La Tour d'Auvergne-Lauraguais " * 3,
        lines=[
            "Résidence des Jardins de la Vallée de Chevreuse, Bâtiment Œillets, escalier 4",
            "Appartement " + "x" * 90,  # one word far wider than the label
            "Lieu-dit Les Hauts de la Montagne Sainte-Geneviève, chemin communal n° 12",
            "Quatrième ligne qui ne tient plus",
        ],
        postcode="75005",
        city="Saint-Rémy-lès-Chevreuse-sur-Yvette-la-Grande-Commune-Nouvelle",
        country="France métropolitaine et départements d'outre-mer",
    )
    tracking = "RT" + "1234567890" * 3 + "FR"
    url = f"https://returns.example.com/track/{tracking}?utm_source=label&lang=fr"
    data = label(
        sender=long,
        recipient=long,
        rma="RMA-2026-000123456789",
        tracking_number=tracking,
        tracking_url=url,
    )
    pdf = render_label_pdf(data, language="fr")  # French captions are the longer ones

    for char, (left, bottom, right, top) in char_boxes(pdf):
        assert left >= layout.MARGIN - 1, char
        assert right <= layout.WIDTH - layout.MARGIN + 1, char
        assert bottom >= 0, char
        assert top <= layout.HEIGHT, char
        for rule in RULES:  # no glyph crosses a section rule
            y = layout.HEIGHT - rule
            assert not bottom < y < top, (char, rule)
    content = text(pdf)
    assert "…" in content
    assert "RMA-2026-000123456789" in content  # identifiers shrink rather than being cut
    assert tracking in content
    assert decode(rasterize(pdf, 203)) == [("Code128", tracking), ("QRCode", url)]


def test_long_tracking_numbers_still_fit_and_scan() -> None:
    tracking = "RT" + "1234567890" * 3 + "FR"
    url = f"https://returns.example.com/track/{tracking}?utm_source=label&lang=fr"
    pdf = render_label_pdf(label(tracking_number=tracking, tracking_url=url))

    assert decode(rasterize(pdf, 300)) == [("Code128", tracking), ("QRCode", url)]


def test_tracking_number_must_be_ascii() -> None:
    with pytest.raises(ValueError, match="Code 128"):
        render_label_pdf(label(tracking_number="RTÉ123"))


def test_many_labels_one_per_page() -> None:
    labels = [label(tracking_number=f"RT00000000{i}FR") for i in range(3)]
    pdf = render_labels_pdf(labels)

    assert pages(pdf) == 3
    assert ("Code128", "RT000000002FR") in decode(rasterize(pdf, 203, page=2))


def test_without_dejavu_helvetica_draws_french_and_transliterates_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        drawing, "fonts", lambda: drawing.Fonts("Helvetica", "Helvetica-Bold", unicode=False)
    )
    sender = Address("Łukasz Øster-Cœur", ["ul. Świętokrzyska 1"], "00-001", "Warszawa", "PL")
    pdf = render_label_pdf(label(sender=sender))

    content = text(pdf)
    assert "Lukasz Øster-Cœur" in content  # WinAnsi has Ø and œ; ł becomes l
    assert "ul. Swietokrzyska 1" in content
    assert decode(rasterize(pdf, 203)) == [("Code128", TRACKING), ("QRCode", URL)]
