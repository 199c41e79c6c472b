"""A table of figures as shown on a page, and its CSV and XLSX exports.

Cells are str, int, Decimal, date or None; Decimals stay exact in CSV and are written as numbers
in XLSX (a spreadsheet's numbers are binary floats: exact to the cent for any shop's amounts).
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import xlsxwriter

Cell = str | int | Decimal | date | None


@dataclass(frozen=True)
class Table:
    name: str  # the export's file name and the `?export=` value
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return cell.isoformat() if isinstance(cell, date) else str(cell)


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheets open accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([_text(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(table: Table) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(table.name[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, list(table.columns), bold)
    for r, row in enumerate(table.rows, start=1):
        for c, cell in enumerate(row):
            if isinstance(cell, Decimal):
                sheet.write_number(r, c, float(cell))
            elif isinstance(cell, int):
                sheet.write_number(r, c, cell)
            elif isinstance(cell, date):
                sheet.write_datetime(r, c, cell, day)
            else:
                sheet.write_string(r, c, _text(cell))
    book.close()
    return out.getvalue()
