"""Write a laid-out document as an XLSX workbook (openpyxl, write-only: rows stream to disk)."""

from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as Cell_
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from services.enrollment.views.claim_pack.data import Cell, Table

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")


def write_xlsx(table: Table, out: IO[bytes]) -> None:
    """Write the document as one worksheet: title, subtitle, form fields, then the table."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31])
    for i, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, 2.2 * len(header) + 2)
    if table.fields:
        sheet.column_dimensions["A"].width = 20
        sheet.column_dimensions["B"].width = max(40, sheet.column_dimensions["B"].width or 0)
    sheet.append([_cell(sheet, table.title, _TITLE)])
    sheet.append([table.subtitle])
    for label, value in table.fields:
        sheet.append([_cell(sheet, label, _BOLD), _cell(sheet, value, alignment=_WRAP)])
    sheet.append([])
    sheet.append([_cell(sheet, h, _BOLD) for h in table.headers])
    for row in table.rows:
        sheet.append(list(row))
    book.save(out)


def _cell(sheet: WriteOnlyWorksheet, value: Cell, font: Font | None = None,
          alignment: Alignment | None = None) -> Cell_:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell
