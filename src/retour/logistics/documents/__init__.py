"""Printed documents of the built-in "own label" carrier: the 4×6 in label (PDF and ZPL) and
the A4 packing slip that goes inside the box.

Inputs are plain dataclasses, so rendering needs no database; captions go through Django's
gettext, in the `language` the caller passes (or the active one).
"""

from .data import Address, LabelData, PackingSlipData, PackingSlipItem
from .label import render_label_pdf, render_labels_pdf
from .manifest import ManifestData, ManifestParcel, render_pickup_manifest_pdf
from .packing_slip import render_packing_slip_pdf
from .zpl import render_label_zpl

__all__ = [
    "Address",
    "LabelData",
    "ManifestData",
    "ManifestParcel",
    "PackingSlipData",
    "PackingSlipItem",
    "render_label_pdf",
    "render_label_zpl",
    "render_labels_pdf",
    "render_packing_slip_pdf",
    "render_pickup_manifest_pdf",
]
