"""The ZPL label: one ^XA…^XZ program with the expected fields, and customer text that cannot
inject commands."""

from __future__ import annotations

import re

import pytest

from retour.logistics.documents import Address, render_label_zpl
from retour.logistics.documents.zpl import escape
from tests.logistics.samples import TRACKING, URL, label, zpl_unescape


def fields(zpl: str) -> list[str]:
    return [zpl_unescape(data) for data in re.findall(r"\^FD(.*?)\^FS", zpl)]


def test_one_label_of_4_by_6_inches_at_203_dpi() -> None:
    zpl = render_label_zpl(label())

    assert zpl.startswith("^XA\n")
    assert zpl.endswith("^XZ\n")
    assert zpl.count("^XA") == 1
    assert zpl.count("^XZ") == 1
    assert "^PW812\n" in zpl
    assert "^LL1218\n" in zpl
    assert "^CI28\n" in zpl  # UTF-8 field data
    assert zpl.count("^FO") == zpl.count("^FS")  # every field is closed


def test_300_dpi_scales_the_label() -> None:
    zpl = render_label_zpl(label(), dpi=300)

    assert "^PW1200\n" in zpl
    assert "^LL1800\n" in zpl


def test_unsupported_dpi_is_refused() -> None:
    with pytest.raises(ValueError, match="dpi"):
        render_label_zpl(label(), dpi=150)


def test_code128_carries_the_tracking_number() -> None:
    zpl = render_label_zpl(label())

    (data,) = re.findall(r"\^BC[^\^]*\^FH\^FD(.*?)\^FS", zpl)
    assert zpl_unescape(data) == TRACKING
    module = int(re.search(r"\^BY(\d+)", zpl).group(1))  # type: ignore[union-attr]
    assert module >= 2  # at least 2 dots per bar on a 203 dpi head


def test_qr_carries_the_tracking_url() -> None:
    url = "https://returns.example.com/track/RT1_2?lang=fr&src=label"
    zpl = render_label_zpl(label(tracking_url=url))

    (data,) = re.findall(r"\^BQ[^\^]*\^FH\^FD(.*?)\^FS", zpl)
    assert zpl_unescape(data) == f"MA,{url}"  # error correction M, automatic input mode


def test_rma_and_item_count_are_printed() -> None:
    data = fields(render_label_zpl(label(item_count=4)))

    assert "RMA-2026-000123" in data
    assert "4" in data
    after = data.index("SCAN TO TRACK") + 1
    assert "".join(data[after : after + 2]) == URL  # the URL, wrapped over two lines


def test_customer_text_is_hex_escaped() -> None:
    sender = Address(
        name="Zoë ^XZ^XA~JA Müller_Straße",
        lines=["1 rue de l'Œuvre ^FS"],
        postcode="75001",
        city="Paris ~DG",
        country="FR",
    )
    zpl = render_label_zpl(label(sender=sender))

    assert zpl.count("^XA") == 1  # a caret in a name must not start a new label
    assert zpl.count("^XZ") == 1
    assert "~" not in zpl
    assert zpl.count("^FO") == zpl.count("^FS")  # every field is closed
    assert "Zo_C3_AB _5EXZ_5EXA_7EJA M_C3_BCller_5FStra_C3_9Fe" in zpl
    assert "Zoë ^XZ^XA~JA Müller_Straße" in fields(zpl)
    assert any("Œuvre ^FS" in field for field in fields(zpl))


def test_escape_keeps_plain_ascii_and_escapes_the_rest() -> None:
    assert escape("RMA-2026 #12, (A/B)") == "RMA-2026 #12, (A/B)"
    assert escape("é^~_\n\tx") == "_C3_A9_5E_7E_5F x"


def test_captions_follow_the_language() -> None:
    english = fields(render_label_zpl(label(), language="en"))
    french = fields(render_label_zpl(label(), language="fr"))

    assert "RETURN" in english
    assert "FROM" in english
    assert f"Tracking no. {TRACKING}" in english
    assert "RETOUR" in french
    assert "EXPÉDITEUR" in french
    assert f"N° de suivi {TRACKING}" in french


def test_long_text_is_cut_rather_than_overprinted() -> None:
    long = Address("N" * 200, ["Rue " * 60], "75001", "Paris " * 20, "FR")
    zpl = render_label_zpl(label(sender=long, recipient=long))

    positions = [int(x) for x in re.findall(r"\^FO(\d+),", zpl)]
    assert max(positions) < 812
    assert any(field.endswith("...") for field in fields(zpl))
    assert max(len(field) for field in fields(zpl)) < 80
