"""The printable certificate: opens with pypdf, holds the Chinese text and a scannable QR."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from pypdf import PdfReader

from services.certification.rendering.pdf import PrintedCertificate, qr_drawing, render
from shared.fonts import BUILTIN_CJK, font_name
from shared.ids import new_id
from tests.certification.conftest import CertApp
from tests.certification.factories import BASE_URL, ID_NUMBER, completed

URL = f"{BASE_URL}/verify/7Q2M4KX9PA"


def _printed(**changes: Any) -> PrintedCertificate:
    values: dict[str, Any] = {
        "locale": "zh-CN", "kind": "skill_level", "holder_name": "张小三",
        "id_type": "resident_id",
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


def test_skill_certificate_follows_the_2022_national_layout_with_a_qr_to_verify() -> None:
    pdf = render(_printed(work_type=None),
                 font=font_name("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0))
    text = _text(pdf)
    for expected in ("职业技能等级证书", "姓", "张小三", "证件类型", "居民身份证", "证件号码",
                     "4601**********1234", "职业名称", "育婴员", "工", "--", "职业技能等级",
                     "四级/中级工", "证书编号", "S000036000123264000042", "发证日期：2026年3月10日",
                     "2029年3月9日", "发证机构", "匠心职业技能评价中心", "照片",
                     "jndj.osta.org.cn", "pjjg.osta.org.cn", URL):
        assert expected in text, expected
    assert "培训课程" not in text
    assert _qr_payloads(pdf) == [URL]
    assert _link_uris(pdf) == [URL]


def test_training_certificate_shows_course_and_hours_instead_of_a_level() -> None:
    pdf = render(_printed(kind="training", level=None, level_name=None, course_title="礼仪培训",
                          hours=24.0, work_type=None, expires_on=None,
                          number="JX-2026-000042"),
                 font=font_name("/nonexistent/font.ttc", 0))
    text = _text(pdf)
    assert "培训合格证书" in text
    assert "礼仪培训" in text
    assert "24" in text
    assert "职业技能等级证书" not in text
    assert "职业技能等级" not in text
    assert "osta.org.cn" not in text  # not a national certificate: no national query sites
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
    assert "Type of work" in text
    assert "National query" in text
    assert "（" not in text
    training = _text(render(_printed(locale="en", kind="training", number="JX-2026-L4-000001"),
                            font=font_name("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0)))
    assert "Training Certificate" in training
    assert "Occupation (type of work)" in training
    assert "育婴员 (育婴员)" in training


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
