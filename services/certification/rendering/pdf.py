"""Render a printable A4 certificate with reportlab: CJK text and a QR code to verify it."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from services.certification.domain.levels import title_of
from services.certification.rendering.dates import long_date

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
    kind: str  # skill_level: the 2022 national layout; training: our own
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


# Where the public looks a skill-level certificate up by number and name (domain.md).
QUERY_SITES = ("jndj.osta.org.cn", "pjjg.osta.org.cn")
FILL_SIZE = 12  # 小四: the fill-in text of the national layout


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


_BODY_ZH = ("本证书由经备案的职业技能等级评价机构颁发，", "表明持证人经评价达到相应职业技能等级。",
            "发证机构：")
_BODY_EN = ("This is to certify that the holder has been assessed", "at the skill level stated.",
            "Issued by:")


def _skill_rows(cert: PrintedCertificate) -> list[tuple[str, str]]:
    en = cert.locale == "en"
    id_type = ID_TYPES.get(cert.id_type or "", ("其他证件", "Other ID"))[1 if en else 0]
    return [
        ("Name" if en else "姓　　名", cert.holder_name),
        ("ID type" if en else "证件类型", id_type if cert.id_type else "--"),
        ("ID number" if en else "证件号码", cert.id_number or "--"),
        ("Occupation" if en else "职业名称", cert.occupation),
        ("Type of work" if en else "工　　种", cert.work_type or "--"),
        ("Skill level" if en else "职业技能等级", cert.level_name or "--"),
        ("Certificate No." if en else "证书编号", cert.number),
    ]


def _frame(pdf: Canvas, cert: PrintedCertificate, width: float, height: float) -> None:
    pdf.setTitle(f"{title_of(cert.kind)} {cert.number}")
    pdf.setAuthor(cert.issuer)
    pdf.setStrokeColor(colors.HexColor("#9b1c1c"))
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)


def _qr(pdf: Canvas, cert: PrintedCertificate, *, x: float, y: float, size: float,
        font: str) -> None:
    draw_qr(pdf, cert.verify_url, x=x, y=y, size=size)
    pdf.linkURL(cert.verify_url, (x, y, x + size, y + size), relative=0)
    pdf.setFont(font, 9)
    pdf.drawCentredString(x + size / 2, y - 5 * mm,
                          "Scan to verify" if cert.locale == "en" else "扫码验证")


def _status_note(pdf: Canvas, cert: PrintedCertificate, font: str) -> None:
    if cert.status_note:
        pdf.setFillColor(colors.HexColor("#9b1c1c"))
        pdf.setFont(font, 20)
        pdf.drawString(40 * mm, 30 * mm, cert.status_note)


def _render_skill(pdf: Canvas, cert: PrintedCertificate, font: str, width: float,
                  height: float) -> None:
    """The 2022 national layout: the left half states the award, the right half the facts
    beside a 1-inch photo box, the QR code and the national query sites."""
    en = cert.locale == "en"
    middle = width / 2
    pdf.setFillColor(colors.HexColor("#9b1c1c"))
    pdf.setFont(font, 30)
    pdf.drawCentredString(middle / 2 + 6 * mm, height - 50 * mm, title_of(cert.kind))
    if en:
        pdf.setFont(font, 14)
        pdf.drawCentredString(middle / 2 + 6 * mm, height - 60 * mm,
                              title_of(cert.kind, locale="en"))
    pdf.setFillColor(colors.black)
    pdf.setFont(font, FILL_SIZE + 2)
    body = _BODY_EN if en else _BODY_ZH
    y = height - 85 * mm
    for line in body:
        pdf.drawString(30 * mm, y, line)
        y -= 9 * mm
    pdf.setFont(font, FILL_SIZE)
    pdf.drawString(30 * mm, y, cert.issuer)
    pdf.drawString(30 * mm, y - 9 * mm, ("Issued on: " if en else "发证日期：")
                   + long_date(cert.issued_on, en=en))
    if cert.expires_on:
        pdf.drawString(30 * mm, y - 18 * mm, ("Valid until: " if en else "有效期至：")
                       + long_date(cert.expires_on, en=en))
    pdf.setStrokeColor(colors.HexColor("#9b1c1c"))
    pdf.setLineWidth(0.5)
    pdf.line(middle, 24 * mm, middle, height - 24 * mm)
    photo_w, photo_h = 25 * mm, 35 * mm  # one inch (一寸)
    photo_x, photo_y = width - 30 * mm - photo_w, height - 30 * mm - photo_h
    pdf.setStrokeColor(colors.grey)
    pdf.rect(photo_x, photo_y, photo_w, photo_h)
    pdf.setFont(font, 9)
    pdf.drawCentredString(photo_x + photo_w / 2, photo_y + photo_h / 2,
                          "Photo" if en else "照片")
    y = height - 40 * mm
    for label, value in _skill_rows(cert):
        pdf.setFont(font, FILL_SIZE)
        pdf.drawString(middle + 12 * mm, y, label)
        pdf.drawString(middle + 45 * mm, y, value)
        y -= 10 * mm
    qr_size = 32 * mm
    _qr(pdf, cert, x=width - 30 * mm - qr_size, y=30 * mm, size=qr_size, font=font)
    pdf.setFont(font, 9)
    sites = " / ".join(QUERY_SITES)
    pdf.drawString(middle + 12 * mm, 34 * mm, ("National query: " if en else "全国查询：") + sites)
    pdf.drawString(middle + 12 * mm, 28 * mm, cert.verify_url)


def _render_training(pdf: Canvas, cert: PrintedCertificate, font: str, width: float,
                     height: float) -> None:
    """Our own layout: title, the facts (course and hours, no level), the QR code."""
    pdf.setFillColor(colors.HexColor("#9b1c1c"))
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 42 * mm, title_of(cert.kind))
    if cert.locale == "en":
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, height - 52 * mm, title_of(cert.kind, locale="en"))
    pdf.setFillColor(colors.black)
    y = height - 70 * mm
    for label, value in _rows(cert):
        pdf.setFont(font, 13)
        pdf.drawString(40 * mm, y, label)
        pdf.drawString(95 * mm, y, value)
        y -= 10 * mm
    qr_size = 45 * mm
    _qr(pdf, cert, x=width - 40 * mm - qr_size, y=30 * mm, size=qr_size, font=font)
    pdf.drawString(40 * mm, 22 * mm, cert.verify_url)


def render(cert: PrintedCertificate, *, font: str) -> bytes:
    """Return the PDF bytes of one A4 (landscape) certificate in its kind's layout."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    _frame(pdf, cert, width, height)
    draw = _render_skill if cert.kind == "skill_level" else _render_training
    draw(pdf, cert, font, width, height)
    _status_note(pdf, cert, font)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
