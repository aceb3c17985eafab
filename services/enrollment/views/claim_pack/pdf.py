"""Write a laid-out document as a PDF (reportlab) with an embedded CJK TrueType font."""

from __future__ import annotations

from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.enrollment.views.claim_pack import data

_PAGE_WIDTH = landscape(A4)[0] - 24 * mm
_LONGEST = 40  # columns wider than this many half-width characters wrap


def write_pdf(table: data.Table, out: IO[bytes], *, font: str) -> None:
    """Write the document on A4 landscape pages; the table's header repeats on each page."""
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=20, alignment=1)
    small = ParagraphStyle("small", parent=body, fontSize=9, alignment=1)
    story: list[Flowable] = [Paragraph(escape(table.title), title),
                             Paragraph(escape(table.subtitle), small), Spacer(1, 4 * mm)]
    if table.fields:
        story += [_grid([[_p(k, body), _p(v, body)] for k, v in table.fields],
                        widths=[40 * mm, 220 * mm], header=False), Spacer(1, 5 * mm)]
    texts = [table.headers, *[[_text(v) for v in row] for row in table.rows]]
    rows = [[_p(t, body) for t in row] for row in texts]
    story.append(_grid(rows, widths=_widths(texts, total=_PAGE_WIDTH), header=True))
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=table.title, author="匠心 Jiangxin")
    doc.build(story)


def _widths(texts: list[list[str]], *, total: float) -> list[float]:
    """Share the page width by each column's longest text (CJK counts double), so short
    values such as ID numbers and times stay on one line."""
    def span(text: str) -> int:
        return min(_LONGEST, sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)) + 2

    need = [max(span(row[i]) for row in texts) for i in range(len(texts[0]))]
    return [total * n / sum(need) for n in need]


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _text(value: data.Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _grid(rows: list[list[Paragraph]], *, widths: list[float] | None, header: bool) -> Table:
    grid = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    grid.setStyle(TableStyle(style))
    return grid
