"""The printable certificate: opens with pypdf, holds the Chinese text and a scannable QR."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from pypdf import PdfReader

from services.certification.rendering.pdf import (
    BUILTIN_CJK,
    PrintedCertificate,
    font_name,
    qr_drawing,
    render,
)
from shared.ids import new_id
from tests.certification.conftest import CertApp
from tests.certification.factories import BASE_URL, ID_NUMBER, completed

URL = f"{BASE_URL}/verify/7Q2M4KX9PA"


def _printed(**changes: Any) -> PrintedCertificate:
    values: dict[str, Any] = {
        "locale": "zh-CN", "holder_name": "张小三", "id_type": "resident_id",
        "id_number": "4601**********1234", "occupation": "育婴员", "work_type": "育婴员",
        "level": 4, "level_name": "四级/中级工", "course_title": "育婴员", "hours": 80.0,
        "number": "S000036000123264000042", "issued_on": date(2026, 3, 10),
        "expires_on": date(2029, 3, 9), "issuer": "匠心职业技能评价中心", "verify_url": URL,
    }
    values.update(changes)
    return PrintedCertificate(**values)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def _qr_payloads(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    found = zxingcpp.read_barcodes(image)
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]


def _link_uris(pdf: bytes) -> list[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])]


def test_skill_certificate_holds_every_field_in_chinese_and_a_qr_to_verify() -> None:
    pdf = render(_printed(), font=font_name("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0))
    text = _text(pdf)
    for expected in ("职业技能等级证书", "张小三", "居民身份证", "4601**********1234",
                     "育婴员（育婴员）", "四级/中级工", "S000036000123264000042",
                     "2026年3月10日", "2029年3月9日", "匠心职业技能评价中心", URL):
        assert expected in text, expected
    assert _qr_payloads(pdf) == [URL]
    assert _link_uris(pdf) == [URL]


def test_training_certificate_shows_course_and_hours_instead_of_a_level() -> None:
    pdf = render(_printed(level=None, level_name=None, course_title="礼仪培训", hours=24.0,
                          work_type=None, expires_on=None),
                 font=font_name("/nonexistent/font.ttc", 0))
    text = _text(pdf)
    assert "培训合格证书" in text
    assert "礼仪培训" in text
    assert "24" in text
    assert "职业技能等级证书" not in text
    assert "（--）" in text
    assert font_name("/nonexistent/font.ttc", 0) == BUILTIN_CJK
    assert _qr_payloads(pdf) == [URL]


def test_english_layout_for_holders_who_prefer_english() -> None:
    pdf = render(_printed(locale="en", level_name="Level 4 / Intermediate worker"),
                 font=font_name("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0))
    text = _text(pdf)
    assert "Vocational Skill Level Certificate" in text
    assert "职业技能等级证书" in text
    assert "Certificate No." in text
    assert "Level 4 / Intermediate worker" in text
    assert "Occupation (type of work)" in text
    assert "育婴员 (育婴员)" in text
    assert "（" not in text


def test_the_qr_widget_encodes_exactly_the_verification_url() -> None:
    drawing = qr_drawing(URL, size=100)
    assert drawing.contents[0].value == URL


async def test_the_holders_own_pdf_shows_the_full_id_number_others_see_it_masked(
    cert_app: CertApp,
) -> None:
    holder, trainer = new_id(), new_id()
    await cert_app.record(completed(user_id=holder, trainer_ids=[trainer], pii=cert_app.pii))
    [item] = (await (await cert_app.client.get(
        "/api/v1/me/certificates", headers=cert_app.auth(holder, "trainee"))).json())["items"]
    url = f"/api/v1/certificates/{item['id']}/pdf"
    own = await cert_app.client.get(url, headers=cert_app.auth(holder, "trainee"))
    assert own.status == 200
    assert own.content_type == "application/pdf"
    own_pdf = await own.read()
    assert ID_NUMBER in _text(own_pdf)
    assert _qr_payloads(own_pdf) == [item["verify_url"]]
    response = await cert_app.client.get(url, headers=cert_app.auth(trainer, "trainer"))
    trainers = await response.read()
    assert ID_NUMBER not in _text(trainers)
    assert "4601**********1234" in _text(trainers)
