"""The claim pack: each document as XLSX (read back with openpyxl) and PDF (read back with
pypdf), laid out by a city template, masked unless an administrator asks (recorded)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import openpyxl
import pytest
from pypdf import PdfReader

from services.enrollment.domain.claim_pack import DOCUMENTS, parse_template
from services.enrollment.views.claim_pack.templates import load_templates
from tests.enrollment.support import Service
from tests.enrollment.test_hours import local

ID_ZHANG = "11010519491231002X"
ID_LI = "110105491231002"  # first-generation card


async def class_with_results(svc: Service) -> dict[str, Any]:
    """A two-day class: 张小三 attended everything and passed, 李四 missed the second day."""
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    course = await svc.create_course(admin, required_hours=12, title_zh="互联网营销师",
                                     occupation_code="4-01-02-07", occupation_name="互联网营销师",
                                     work_type="直播销售员")
    start = svc.clock.now().date() + timedelta(days=7)
    cls = await svc.create_class(admin, course_id=course["id"], trainer_ids=[str(trainer_id)],
                                 name="第3期直播销售班", starts_on=start.isoformat(),
                                 ends_on=(start + timedelta(days=1)).isoformat())
    ids = []
    for name, id_number, category in (("张小三", ID_ZHANG, "migrant_worker"),
                                      ("李四", ID_LI, "unemployed")):
        _, token = await svc.add_user(name=name)
        await svc.call("PATCH", "/api/v1/me", token=token,
                       json_body={"id_type": "resident_id", "id_number": id_number})
        put = await svc.call("PUT", "/api/v1/me/person-category", token=token,
                             json_body={"person_category": category})
        assert put.status == 204, put.body
        mine = await svc.call("GET", "/api/v1/me/person-category", token=token)
        assert mine.body == {"person_category": category}
        ids.append((await svc.enrol(token, cls["id"])).body["id"])
    plans = await svc.call("PUT", f"/api/v1/classes/{cls['id']}/plans", token=trainer, json_body={
        "teaching_plan": "第一天：直播选品与话术；第二天：直播间实操",
        "assessment_plan": "理论笔试+实操考核"})
    assert plans.status == 204, plans.body
    shown = await svc.call("GET", f"/api/v1/classes/{cls['id']}/plans", token=trainer)
    assert shown.body == {"teaching_plan": "第一天：直播选品与话术；第二天：直播间实操",
                          "assessment_plan": "理论笔试+实操考核"}
    days = [date.fromisoformat(d) for d in cls["schedule_days"]]
    svc.clock.set(local(days[1], "18:00"))
    for who, sessions in ((0, [(d, n) for d in days for n in (1, 2)]),
                          (1, [(days[0], 1), (days[0], 2)])):
        for day, no in sessions:
            times = ("09:00", "12:00") if no == 1 else ("14:00", "17:00")
            body = {"reason": "纸质签到表补录", "checked_in_at": local(day, times[0]).isoformat(),
                    "checked_out_at": local(day, times[1]).isoformat()}
            url = f"/api/v1/classes/{cls['id']}/sessions/{day}/{no}/checkins/{ids[who]}"
            assert (await svc.call("PUT", url, token=trainer, json_body=body)).status == 200
        await svc.call("PUT", f"/api/v1/enrollments/{ids[who]}/result", token=trainer,
                       json_body={"theory_score": 88, "practical_score": 92.5})
    released = await svc.call("POST", f"/api/v1/classes/{cls['id']}/release-results",
                              token=trainer)
    assert released.body["insufficient_hours"] == [ids[1]]
    await svc.pool.execute(  # what certification's CertificateIssued projects here
        """INSERT INTO certificates (certificate_id, enrollment_id, number, status, seq,
                                     issued_on, issued_at)
           VALUES ($1, $2, 'S000011010000125400001', 'valid', 1, $3, now())""",
        UUID(int=int(ids[0].replace("-", ""), 16) ^ 1), UUID(ids[0]), days[1])
    return {"admin": admin, "trainer": trainer, "class": cls, "ids": ids, "days": days}


async def fetch(svc: Service, token: str, class_id: str, file: str, query: str = "") -> bytes:
    reply = await svc.call("GET", f"/api/v1/classes/{class_id}/claim-pack/{file}{query}",
                           token=token)
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Length"] == str(len(reply.body))
    assert isinstance(reply.body, bytes)
    return reply.body


def sheet_rows(data: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def table_after(rows: list[list[Any]], first_header: str) -> tuple[list[Any], list[list[Any]]]:
    at = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return rows[at], rows[at + 1:]


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    resources: list[Any] = [page["/Resources"] for page in reader.pages]
    fonts: list[Any] = [f.get_object() for r in resources for f in r["/Font"].values()]
    # reportlab embeds subsets of the TrueType font (/FontFile2); Helvetica needs none.
    embedded = [f["/BaseFont"] for f in fonts
                if "/FontDescriptor" in f and "/FontFile2" in f["/FontDescriptor"].get_object()]
    assert embedded
    assert all("wqy" in name.lower() or "zenhei" in name.lower() for name in embedded)
    # Cells wrap inside their column: compare the text without line breaks.
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


async def test_the_application_form_lists_course_sessions_plans_and_planned_roster(
    svc: Service,
) -> None:
    pack = await class_with_results(svc)
    rows = sheet_rows(await fetch(svc, pack["trainer"], pack["class"]["id"], "application.xlsx"))
    assert rows[0][0] == "职业技能培训开班申请表"
    fields = {r[0]: r[1] for r in rows if r and len(r) > 1 and isinstance(r[0], str)}
    assert fields["培训项目"] == "互联网营销师"
    assert fields["职业（工种）编码"] == "4-01-02-07"
    assert fields["职业（工种）"] == "互联网营销师（直播销售员）"
    assert fields["培训等级"] == "四级/中级工"
    assert fields["授课教师"] == "王老师"
    assert fields["计划学时"] == "12"
    assert fields["教学计划"] == "第一天：直播选品与话术；第二天：直播间实操"
    d0 = pack["days"][0].isoformat()
    assert f"{d0} 09:00-12:00；{d0} 14:00-17:00" in fields["课程安排"]
    header, people = table_after(rows, "序号")
    assert header == ["序号", "姓名", "身份证号码", "联系电话", "人员类别"]
    assert [(p[1], p[2], p[4]) for p in people] == [
        ("张小三", "1101**********002X", "农民工"), ("李四", "1101*******1002", "失业人员")]
    pdf = pdf_text(await fetch(svc, pack["trainer"], pack["class"]["id"], "application.pdf"))
    assert "职业技能培训开班申请表" in pdf
    assert "直播选品与话术" in pdf
    assert "张小三" in pdf


async def test_the_ledger_lists_each_sessions_check_in_and_out_with_minutes(svc: Service) -> None:
    pack = await class_with_results(svc)
    rows = sheet_rows(await fetch(svc, pack["trainer"], pack["class"]["id"], "ledger.xlsx"))
    assert rows[0][0] == "培训台账（签到签退记录）"
    header, entries = table_after(rows, "日期")
    assert header == ["日期", "课次", "上课时间", "姓名", "签到时间", "签退时间", "学时（分钟）",
                      "异常标记", "教师确认"]
    assert len(entries) == 8  # both trainees in each of the four sessions
    first = entries[0]
    assert first[:4] == [pack["days"][0].isoformat(), "第1节", "09:00-12:00", "张小三"]
    assert (first[4], first[5], first[6], first[7], first[8]) == (
        "09:00:00（教师补录）", "12:00:00（教师补录）", 180, None, "教师补录")  # None: empty
    absent = next(e for e in entries
                  if e[0] == pack["days"][1].isoformat() and e[1] == "第2节" and e[3] == "李四")
    assert (absent[4], absent[5], absent[6], absent[7], absent[8]) == (
        None, None, 0, "未签到", None)
    pdf = pdf_text(await fetch(svc, pack["trainer"], pack["class"]["id"], "ledger.pdf"))
    assert "签到时间" in pdf
    assert "李四" in pdf


async def test_the_roster_is_masked_for_trainers_and_full_for_an_administrator_recorded(
    svc: Service,
) -> None:
    pack = await class_with_results(svc)
    class_id = pack["class"]["id"]
    masked = sheet_rows(await fetch(svc, pack["trainer"], class_id, "roster.xlsx",
                                    "?unmasked=true"))
    header, people = table_after(masked, "序号")
    assert header[:6] == ["序号", "姓名", "证件类型", "证件号码", "联系电话", "人员类别"]
    col = {h: i for i, h in enumerate(header)}
    zhang, li = people
    assert (zhang[col["证件号码"]], zhang[col["证件类型"]]) == ("1101**********002X", "居民身份证")
    assert "****" in zhang[col["联系电话"]]
    assert (zhang[col["实际学时"]], zhang[col["理论成绩"]], zhang[col["实操成绩"]]) == (
        12, 88, 92.5)
    assert (zhang[col["考核结果"]], zhang[col["证书编号"]], zhang[col["发证日期"]]) == (
        "合格", "S000011010000125400001", pack["days"][1].isoformat())
    assert (li[col["实际学时"]], li[col["考核结果"]]) == (6, "不合格")
    full = sheet_rows(await fetch(svc, pack["admin"], class_id, "roster.xlsx", "?unmasked=true"))
    _, people = table_after(full, "序号")
    assert [p[col["证件号码"]] for p in people] == [ID_ZHANG, ID_LI]
    assert people[0][col["联系电话"]].startswith("+86")
    exports = await svc.pool.fetch(
        "SELECT actor_role, unmasked FROM claim_exports WHERE class_id = $1 AND document = 'roster'"
        " ORDER BY id", UUID(class_id))
    assert [(r["actor_role"], r["unmasked"]) for r in exports] == [
        ("trainer", False), ("admin", True)]
    pdf = pdf_text(await fetch(svc, pack["admin"], class_id, "roster.pdf"))
    assert "培训合格人员花名册" in pdf
    assert "1101**********002X" in pdf


async def test_the_score_sheet_and_the_public_notice(svc: Service) -> None:
    pack = await class_with_results(svc)
    class_id = pack["class"]["id"]
    header, people = table_after(
        sheet_rows(await fetch(svc, pack["trainer"], class_id, "scores.xlsx")), "序号")
    assert header == ["序号", "姓名", "证件号码", "理论成绩", "实操成绩", "考核结果"]
    assert [p[1::2] for p in people] == [["张小三", 88, "合格"], ["李四", 88, "不合格"]]
    scores = pdf_text(await fetch(svc, pack["trainer"], class_id, "scores.pdf"))
    assert "考核成绩册" in scores
    assert "92.5" in scores
    header, listed = table_after(
        sheet_rows(await fetch(svc, pack["admin"], class_id, "notice.xlsx", "?unmasked=true")),
        "序号")
    assert header == ["序号", "姓名", "身份证号码", "职业（工种）", "等级", "考核结果"]
    assert listed == [[1, "张*三", "1101**********002X", "互联网营销师（直播销售员）",
                       "四级/中级工", "合格"]]  # only who passed, masked even for an admin
    notice = pdf_text(await fetch(svc, pack["trainer"], class_id, "notice.pdf"))
    assert "职业技能培训补贴公示名单" in notice
    assert "张*三" in notice
    assert "李四" not in notice


async def test_a_second_citys_template_changes_titles_headers_and_order(svc: Service) -> None:
    pack = await class_with_results(svc)
    listed = await svc.call("GET", "/api/v1/claim-templates", token=pack["trainer"])
    assert {t["id"]: t["city"] for t in listed.body["items"]} == {
        "default": "通用", "shenzhen": "深圳"}
    rows = sheet_rows(await fetch(svc, pack["trainer"], pack["class"]["id"], "roster.xlsx",
                                  "?template=shenzhen"))
    assert rows[0][0] == "补贴申领花名册"
    header, people = table_after(rows, "编号")
    assert header[:4] == ["编号", "人员类别", "学员姓名", "公民身份号码"]
    assert people[0][:3] == [1, "农民工", "张小三"]


async def test_unknown_documents_templates_and_other_classes_trainers_are_refused(
    svc: Service,
) -> None:
    pack = await class_with_results(svc)
    base = f"/api/v1/classes/{pack['class']['id']}/claim-pack"
    assert (await svc.call("GET", f"{base}/invoice.xlsx", token=pack["admin"])).body["code"] == \
        "unknown_document"
    assert (await svc.call("GET", f"{base}/roster.docx", token=pack["admin"])).body["code"] == \
        "unknown_format"
    assert (await svc.call("GET", f"{base}/roster.xlsx?template=atlantis",
                           token=pack["admin"])).body["code"] == "unknown_template"
    _, stranger = await svc.add_user("trainer", name="别班老师")
    refused = await svc.call("GET", f"{base}/roster.xlsx", token=stranger)
    assert (refused.status, refused.body["code"]) == (403, "not_class_trainer")


def test_every_shipped_template_is_complete_and_a_wrong_key_is_refused() -> None:
    templates = load_templates()
    assert set(templates) == {"default", "shenzhen"}
    assert all(set(t.documents) == set(DOCUMENTS) for t in templates.values())
    with pytest.raises(ValueError, match="unknown column key 'salary'"):
        parse_template("bad", {"documents": {
            d: {"title": d, "fields": [{"key": "course", "header": "x"}],
                "columns": [{"key": "salary", "header": "工资"}]} for d in DOCUMENTS}})
