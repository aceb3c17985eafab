"""Render a printable A4 certificate with reportlab: CJK text and a QR code to verify it."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from services.certification.domain.levels import title_of
from services.certification.rendering.dates import long_date

BUILTIN_CJK = "STSong-Light"
QR_BORDER = 4
QR_MASK = 2
ID_TYPES = {
    "resident_id": ("居民身份证", "Resident ID card"),
    "passport": ("护照", "Passport"),
    "hk_macao_permit": ("港澳居民来往内地通行证", "Mainland travel permit (HK/Macao)"),
    "taiwan_permit": ("台湾居民来往大陆通行证", "Mainland travel permit (Taiwan)"),
    "other": ("其他证件", "Other ID"),
}


@dataclass(frozen=True, slots=True)
class PrintedCertificate:
    """Everything printed on one certificate."""

    locale: str
    holder_name: str
    id_type: str | None
    id_number: str | None  # the full number on the holder's own copy, else masked
    occupation: str
    work_type: str | None
    level: int | None
    level_name: str | None
    course_title: str
    hours: float | None
    number: str
    issued_on: date
    expires_on: date | None
    issuer: str
    verify_url: str
    status_note: str | None = None  # e.g. 已撤销 on a revoked certificate's copy


@lru_cache(maxsize=4)
def font_name(font_file: str, subfont_index: int) -> str:
    """Register the CJK font once: the TrueType file when installed, else the built-in CID font."""
    path = Path(font_file)
    if path.is_file():
        name = f"CJK-{path.stem}-{subfont_index}"
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=subfont_index))
        return name
    pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_CJK))
    return BUILTIN_CJK


def qr_drawing(url: str, *, size: float) -> Drawing:
    """Return reportlab's QR widget for `url` as a drawing (its value is the payload)."""
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


@lru_cache(maxsize=1024)
def qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """Return the QR matrix of `url` from reportlab's encoder (the QR widget's own)."""
    code = QrCodeWidget(url, barLevel="M").qr
    code.version = code.calculate_version()
    # Any of the eight masks gives a valid code (readers take it from the format bits);
    # scoring all eight, as make() does, costs most of a render in pure Python.
    code.makeImpl(False, QR_MASK)
    return tuple(tuple(bool(m) for m in row) for row in code.modules)


def draw_qr(pdf: Canvas, url: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code of `url` with a quiet zone, one filled path of dark runs."""
    modules = qr_modules(url)
    box = size / (len(modules) + 2 * QR_BORDER)
    path = pdf.beginPath()
    for r, row in enumerate(modules):
        top = y + size - (r + QR_BORDER + 1) * box
        c = 0
        for dark, run in itertools.groupby(row):
            count = len(list(run))
            if dark:
                path.rect(x + (c + QR_BORDER) * box, top, count * box, box)
            c += count
    pdf.setFillColor(colors.black)
    pdf.drawPath(path, stroke=0, fill=1)


def _rows(cert: PrintedCertificate) -> list[tuple[str, str]]:
    en = cert.locale == "en"
    id_label = ID_TYPES.get(cert.id_type or "", ("证件号码", "ID number"))[1 if en else 0]
    work_type = cert.work_type or "--"
    occupation = f"{cert.occupation} ({work_type})" if en else f"{cert.occupation}（{work_type}）"
    rows = [
        ("Name" if en else "姓　　名", cert.holder_name),
        (id_label, cert.id_number or "--"),
        ("Occupation (type of work)" if en else "职业（工种）", occupation),
    ]
    if cert.level:
        rows.append(("Skill level" if en else "职业技能等级", cert.level_name or str(cert.level)))
    else:
        rows.append(("Course" if en else "培训课程", cert.course_title))
        rows.append(("Hours" if en else "培训学时", f"{cert.hours:g}" if cert.hours else "--"))
    rows += [
        ("Certificate No." if en else "证书编号", cert.number),
        ("Issued on" if en else "发证日期", long_date(cert.issued_on, en=en)),
    ]
    if cert.expires_on:
        rows.append(("Valid until" if en else "有效期至", long_date(cert.expires_on, en=en)))
    rows.append(("Issued by" if en else "发证机构", cert.issuer))
    return rows


def render(cert: PrintedCertificate, *, font: str) -> bytes:
    """Return the PDF bytes of one A4 (landscape) certificate."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"{title_of(cert.level)} {cert.number}")
    pdf.setAuthor(cert.issuer)
    pdf.setStrokeColor(colors.HexColor("#9b1c1c"))
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setFillColor(colors.HexColor("#9b1c1c"))
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 42 * mm, title_of(cert.level))
    if cert.locale == "en":
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, height - 52 * mm, title_of(cert.level, locale="en"))
    pdf.setFillColor(colors.black)
    y = height - 70 * mm
    for label, value in _rows(cert):
        pdf.setFont(font, 13)
        pdf.drawString(40 * mm, y, label)
        pdf.drawString(95 * mm, y, value)
        y -= 10 * mm
    qr_size = 45 * mm
    qr_x, qr_y = width - 40 * mm - qr_size, 30 * mm
    draw_qr(pdf, cert.verify_url, x=qr_x, y=qr_y, size=qr_size)
    pdf.linkURL(cert.verify_url, (qr_x, qr_y, qr_x + qr_size, qr_y + qr_size), relative=0)
    pdf.setFont(font, 9)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 5 * mm,
                          "Scan to verify" if cert.locale == "en" else "扫码验证")
    pdf.drawString(40 * mm, 22 * mm, cert.verify_url)
    if cert.status_note:
        pdf.setFillColor(colors.HexColor("#9b1c1c"))
        pdf.setFont(font, 20)
        pdf.drawString(40 * mm, 30 * mm, cert.status_note)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
