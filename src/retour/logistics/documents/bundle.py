"""Several carriers' label PDFs as one document, for printing a batch in one go.

Each label is the carrier's own PDF (EasyPost, Sendcloud and the built-in carrier each make
theirs), so the pages are copied as they are (pypdfium2, PDFium's bindings) rather than drawn
again. An optional first page lists the returns left out and why.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pypdfium2 as pdfium
from reportlab.pdfgen.canvas import Canvas

from . import pdf
from .label import HEIGHT, MARGIN, WIDTH

LINE = 14.0


def _cover(title: str, missing: Sequence[tuple[str, str]]) -> bytes:
    """A 4×6 in page (more if needed) listing each RMA left out with the reason."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    fonts = pdf.fonts()
    top = HEIGHT - MARGIN - LINE
    canvas.setFont(fonts.bold, 12)
    canvas.drawString(MARGIN, top, pdf.clean(title))
    canvas.setFont(fonts.regular, 9)
    for rma, reason in missing:
        top -= LINE
        if top < MARGIN:
            canvas.showPage()
            canvas.setFont(fonts.regular, 9)
            top = HEIGHT - MARGIN - LINE
        text = pdf.ellipsize(f"{rma}: {reason}", fonts.regular, 9, WIDTH - 2 * MARGIN)
        canvas.drawString(MARGIN, top, pdf.clean(text))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def bundle_labels(
    labels: Sequence[bytes], *, missing: Sequence[tuple[str, str]] = (), title: str = ""
) -> bytes:
    """One PDF of every page of `labels`, in order, after a page listing `missing` (if any)."""
    out = pdfium.PdfDocument.new()
    sources = ([_cover(title, missing)] if missing else []) + list(labels)
    for source in sources:
        out.import_pages(pdfium.PdfDocument(source))
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
