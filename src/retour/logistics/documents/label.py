"""The 4×6 inch shipping label of the built-in "own label" carrier, as PDF."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.pdfgen.canvas import Canvas

from . import pdf
from .data import LabelData

WIDTH = 288.0  # 4 in in points
HEIGHT = 432.0  # 6 in
MARGIN = 10.0
INNER = WIDTH - 2 * MARGIN

# Section boundaries, measured from the top edge of the label.
HEADER_BOTTOM = 50.0
FROM_BOTTOM = 122.0
TO_BOTTOM = 222.0
RMA_BOTTOM = 272.0
BARCODE_BOTTOM = 356.0

BARCODE_HEIGHT = 56.0
QR_MAX = 66.0  # the QR code's side; 6 dots per module at 203 dpi for a typical tracking URL


def render_label_pdf(data: LabelData, language: str | None = None) -> bytes:
    """One 4×6 in label (288×432 pt). `language` defaults to the active Django language.

    Left uncompressed: compressing is a third of a label's time and saves some 70 KB that a
    single label, printed or downloaded once, does not need."""
    return render_labels_pdf([data], language, compress=False)


def render_labels_pdf(
    labels: Iterable[LabelData], language: str | None = None, *, compress: bool = True
) -> bytes:
    """Several labels, one per page, for bulk printing on a roll of 4×6 labels."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=int(compress))
    canvas.setCreator("Retour")
    with translation.override(language) if language else contextlib.nullcontext():
        count = 0
        for data in labels:
            _draw_label(canvas, data)
            canvas.showPage()
            count += 1
        if not count:
            raise ValueError("no label to render")
        canvas.setTitle(_("Return label"))
    canvas.save()
    return buffer.getvalue()


def _y(top: float) -> float:
    """reportlab measures from the bottom; the layout reads better from the top."""
    return HEIGHT - top


def _fit(
    canvas: Canvas,
    x: float,
    top: float,
    text: str,
    font: str,
    size: float,
    max_width: float,
    min_size: float | None = None,
) -> None:
    pdf.draw_fitted(canvas, x, _y(top), text, font, size, max_width, min_size)


def _caption(canvas: Canvas, x: float, top: float, text: str) -> None:
    f = pdf.fonts()
    canvas.setFont(f.bold, 6.5)
    canvas.drawString(x, _y(top) - 6, text.upper())


def _rule(canvas: Canvas, top: float, weight: float = 1.0) -> None:
    canvas.setLineWidth(weight)
    canvas.line(0, _y(top), WIDTH, _y(top))


def weight_text(grams: int) -> str:
    if grams < 1000:
        return f"{grams} g"
    return f"{formats.number_format(grams / 1000, 2)} kg"


def _draw_label(canvas: Canvas, data: LabelData) -> None:
    f = pdf.fonts()
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)

    # Header: carrier and service on the left, a black "RETURN" badge on the right.
    badge_width = 96.0
    _fit(canvas, MARGIN, 10, data.carrier_name, f.bold, 14, INNER - badge_width - 8, 10)
    _fit(canvas, MARGIN, 30, data.service, f.regular, 8.5, INNER - badge_width - 8)
    canvas.rect(WIDTH - MARGIN - badge_width, _y(HEADER_BOTTOM - 8), badge_width, 34, 0, 1)
    canvas.setFillGray(1)
    badge = pdf.ellipsize(_("RETURN"), f.bold, 16, badge_width - 8)
    canvas.setFont(f.bold, 16)
    canvas.drawCentredString(WIDTH - MARGIN - badge_width / 2, _y(HEADER_BOTTOM - 8) + 11, badge)
    canvas.setFillGray(0)
    _rule(canvas, HEADER_BOTTOM, 2)

    # Sender (the shopper) on the left, shipment facts on the right.
    facts_x = 196.0
    _caption(canvas, MARGIN, HEADER_BOTTOM + 5, pgettext("label: the sender", "From"))
    sender = data.sender
    _fit(canvas, MARGIN, HEADER_BOTTOM + 15, sender.name, f.bold, 8.5, facts_x - MARGIN - 8, 7)
    lines = pdf.fit_lines(sender.printed_lines(), f.regular, 8, facts_x - MARGIN - 8, 5)
    canvas.setFont(f.regular, 8)
    for i, line in enumerate(lines):
        canvas.drawString(MARGIN, _y(HEADER_BOTTOM + 25 + i * 9) - 6.5, line)
    canvas.setLineWidth(0.5)
    canvas.line(facts_x - 6, _y(HEADER_BOTTOM), facts_x - 6, _y(FROM_BOTTOM))
    facts = [(_("Date"), data.created.isoformat())]
    if data.weight_grams is not None:
        facts.append((_("Weight"), weight_text(data.weight_grams)))
    for i, (caption, value) in enumerate(facts):
        top = HEADER_BOTTOM + 5 + i * 24
        _caption(canvas, facts_x, top, caption)
        _fit(canvas, facts_x, top + 9, value, f.bold, 10, WIDTH - MARGIN - facts_x)
    _rule(canvas, FROM_BOTTOM, 1)

    # Recipient (the warehouse): the biggest text, it is what sorting staff read.
    _caption(canvas, MARGIN, FROM_BOTTOM + 5, pgettext("label: the recipient", "To"))
    recipient = data.recipient
    _fit(canvas, MARGIN + 12, FROM_BOTTOM + 16, recipient.name, f.bold, 13, INNER - 12, 10)
    # Two street lines at 11 pt; a third one only fits at 10 pt.
    size, leading = 11.0, 13.5
    street = pdf.fit_lines(list(recipient.lines), f.regular, size, INNER - 12, 3)
    if len(street) > 2:
        size, leading = 10.0, 11.0
        street = pdf.fit_lines(list(recipient.lines), f.regular, size, INNER - 12, 3)
    top = FROM_BOTTOM + 33
    canvas.setFont(f.regular, size)
    for line in street:
        canvas.drawString(MARGIN + 12, _y(top) - size * 0.8, line)
        top += leading
    city = f"{recipient.postcode} {recipient.city}".strip()
    _fit(canvas, MARGIN + 12, top + 1, city, f.bold, 13, INNER - 12, 10)
    _fit(canvas, MARGIN + 12, top + 17, recipient.country.upper(), f.bold, 11, INNER - 12)
    _rule(canvas, TO_BOTTOM, 2)

    # RMA number and item count: what the warehouse checks when the parcel is opened.
    count_width = 78.0
    _caption(canvas, MARGIN, TO_BOTTOM + 5, _("RMA"))
    _fit(canvas, MARGIN, TO_BOTTOM + 17, data.rma, f.bold, 20, INNER - count_width - 10, 11)
    count_x = WIDTH - MARGIN - count_width
    canvas.setLineWidth(0.5)
    canvas.line(count_x - 8, _y(TO_BOTTOM), count_x - 8, _y(RMA_BOTTOM))
    _caption(canvas, count_x, TO_BOTTOM + 5, _("Items"))
    canvas.setFont(f.bold, 24)
    canvas.drawCentredString(count_x + count_width / 2, _y(RMA_BOTTOM) + 8, str(data.item_count))
    _rule(canvas, RMA_BOTTOM, 1)

    # Code 128 of the tracking number, centred with quiet zones of at least 10 modules.
    modules, _bars = pdf.code128_bars(data.tracking_number)
    module = pdf.dot_module(modules + 20, INNER)
    symbol_width = modules * module
    x = (WIDTH - symbol_width) / 2
    pdf.draw_code128(
        canvas, data.tracking_number, x, _y(RMA_BOTTOM + 8 + BARCODE_HEIGHT), module, BARCODE_HEIGHT
    )
    caption = _("Tracking no.") + " " + data.tracking_number
    size = pdf.shrunk_size(caption, f.bold, 10, INNER, 6)
    canvas.setFont(f.bold, size)
    caption = pdf.ellipsize(caption, f.bold, size, INNER)
    canvas.drawCentredString(WIDTH / 2, _y(BARCODE_BOTTOM) + 7, caption)
    _rule(canvas, BARCODE_BOTTOM, 2)

    # QR code of the tracking page, with the URL and handling notes beside it.
    qr_modules, _runs = pdf.qr_runs(data.tracking_url)
    qr_module = pdf.dot_module(qr_modules, QR_MAX, max_dots=8)
    qr_top = BARCODE_BOTTOM + 6
    pdf.draw_qr(canvas, data.tracking_url, MARGIN, _y(qr_top), qr_module)
    text_x = MARGIN + QR_MAX + 12
    text_width = WIDTH - MARGIN - text_x
    _caption(canvas, text_x, qr_top, _("Scan to track"))
    url_lines = pdf.fit_lines([data.tracking_url], f.regular, 7, text_width, 2)
    canvas.setFont(f.regular, 7)
    top = qr_top + 10
    for line in url_lines:
        canvas.drawString(text_x, _y(top) - 6, line)
        top += 8.5
    note = _("Attach this label to the outside of the parcel. Put the packing slip inside.")
    canvas.setFont(f.regular, 6.5)
    for line in pdf.fit_lines([note], f.regular, 6.5, text_width, 3):
        top += 1
        canvas.drawString(text_x, _y(top) - 6, line)
        top += 8
