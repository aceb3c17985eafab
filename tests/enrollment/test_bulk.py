"""Roster import (HTTP and CLI) with per-row results, accounts claimed at first sign-in; export."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from datetime import date, datetime
from typing import Any

import aiohttp

from tests.enrollment.support import Service
from tests.enrollment.test_identity import code_sent_to
from tests.support.log_guard import record_output

ROSTER = """phone,name,union_member,employer,id_type,id_number
13911110001,陈一,是,顺丰速运,resident_id,11010519491231002X
13911110002,陈二,,美团,,
13911110001,陈一,,,,
12345,无效号码,,,,
010-12345678,座机,,,,
13911110003,,,,,
13911110004,陈四,,,resident_id,110105194912310021
13911110005,陈五,,,,
"""


async def import_csv(svc: Service, admin: str, class_id: str, text: str) -> dict[str, Any]:
    reply = await svc.call("POST", f"/api/v1/classes/{class_id}/roster/import", token=admin,
                           data=text.encode(), headers={"Content-Type": "text/csv"})
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


async def test_an_import_reports_each_row_and_never_exceeds_capacity(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=2)
    result = await import_csv(svc, admin, cls["id"], ROSTER)
    outcome = [(r["row"], r["result"], r["status"], r["waitlist_position"], r["code"])
               for r in result["rows"]]
    assert outcome == [
        (2, "created", "confirmed", None, None),
        (3, "created", "confirmed", None, None),
        (4, "already_enrolled", None, None, "already_enrolled"),
        (5, "refused", None, None, "invalid_phone"),
        (6, "refused", None, None, "phone_not_mobile"),
        (7, "refused", None, None, "name_required"),
        (8, "refused", None, None, "invalid_id_number"),
        (9, "created", "waitlisted", 1, None),
    ]
    assert (result["created"], result["already_enrolled"], result["refused"]) == (3, 1, 4)
    assert result["rows"][0]["phone_masked"] == "+86139****0001"
    detail = await svc.call("GET", f"/api/v1/classes/{cls['id']}")
    assert (detail.body["seats_left"], detail.body["waitlist_length"]) == (0, 1)
    via = {ev["data"].get("via") for r in result["rows"] if r["enrollment_id"]
           for ev in await svc.events(r["enrollment_id"])}
    assert via == {"bulk", None}  # confirmed ones say bulk; the waitlisted event has no 'via'


async def test_an_imported_trainee_claims_the_enrollment_at_first_sign_in(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    result = await import_csv(svc, admin, cls["id"], "手机号,姓名,工会会员\n13922220001,周一,是\n")
    imported = result["rows"][0]["enrollment_id"]
    listed = await svc.call("GET", "/api/v1/users?q=13922220001", token=admin)
    assert [u["signed_up"] for u in listed.body["items"]] == [False]

    await svc.call("POST", "/api/v1/auth/otp", json_body={"phone": "13922220001"})
    code = await code_sent_to(svc, "+8613922220001")
    token = (await svc.call("POST", "/api/v1/auth/token",
                            json_body={"phone": "13922220001", "code": code})).body
    assert token["user"]["id"] == listed.body["items"][0]["id"]
    assert token["user"]["name"] == "周一"
    mine = await svc.call("GET", "/api/v1/me/enrollments", token=token["access_token"])
    assert [e["id"] for e in mine.body["items"]] == [imported]
    me = await svc.call("GET", "/api/v1/me", token=token["access_token"])
    assert me.body["union_member"] is True
    listed = await svc.call("GET", "/api/v1/users?q=13922220001", token=admin)
    assert [u["signed_up"] for u in listed.body["items"]] == [True]


async def test_a_trainer_imports_into_their_own_class(svc: Service) -> None:
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    result = await import_csv(svc, trainer, cls["id"],
                              "phone,name\n13944440001,郑一\n13944440002,郑二\n")
    assert (result["created"], result["refused"]) == (2, 0)
    roster = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=trainer)
    assert sorted(e["name"] for e in roster.body["items"]) == ["郑一", "郑二"]
    events = await svc.events(result["rows"][0]["enrollment_id"])
    assert [(e["type"], e["data"]["actor"]) for e in events] == [
        ("enrollment.confirmed", "trainer")]


async def test_other_trainers_and_trainees_cannot_import_into_a_class(svc: Service) -> None:
    admin = await svc.admin_token()
    trainer_id, _ = await svc.add_user("trainer", name="王老师")
    _, other_trainer = await svc.add_user("trainer", name="李老师")
    _, trainee = await svc.add_user()
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    for token, code in ((other_trainer, "not_class_trainer"), (trainee, None)):
        reply = await svc.call("POST", f"/api/v1/classes/{cls['id']}/roster/import", token=token,
                               data="phone,name\n13944440003,郑三\n".encode(),
                               headers={"Content-Type": "text/csv"})
        assert reply.status == 403, reply.body
        assert reply.content_type == "application/problem+json"
        if code:
            assert reply.body["code"] == code
    unread = await svc.call("POST", f"/api/v1/classes/{cls['id']}/roster/import",
                            token=other_trainer, data=b"\x00", headers={"Content-Type": "x/y"})
    assert unread.status == 403  # refused before the upload is read
    assert await svc.pool.fetchval("SELECT count(*) FROM users WHERE phone = $1",
                                   "+8613944440003") == 0
    assert (await svc.call("GET", f"/api/v1/classes/{cls['id']}")).body["seats_left"] == 30


async def test_only_an_administrators_import_records_union_membership(svc: Service) -> None:
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer")
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    union_only = await svc.create_class(admin, trainer_ids=[str(trainer_id)],
                                        union_members_only=True)
    roster = "phone,name,union_member\n13944440004,郑四,是\n"
    assert (await import_csv(svc, trainer, cls["id"], roster))["created"] == 1
    refused = await import_csv(svc, trainer, union_only["id"], roster)
    assert [r["code"] for r in refused["rows"]] == ["union_members_only"]
    listed = await svc.call("GET", "/api/v1/users?q=13944440004", token=admin)
    assert [u["union_member"] for u in listed.body["items"]] == [False]
    assert (await import_csv(svc, admin, union_only["id"], roster))["created"] == 1


async def test_multipart_uploads_and_gb18030_files_with_chinese_headers_import(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    form = aiohttp.FormData()
    form.add_field("file", "手机,姓名,工作单位\n13933330001,吴一,饿了么\n".encode("gb18030"),
                   filename="roster.csv", content_type="text/csv")
    reply = await svc.call("POST", f"/api/v1/classes/{cls['id']}/roster/import", token=admin,
                           data=form)
    assert reply.status == 200, reply.body
    assert reply.body["created"] == 1
    roster = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=admin)
    assert [e["name"] for e in roster.body["items"]] == ["吴一"]


async def test_the_export_lists_attendance_scores_and_masks_personal_data(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    await import_csv(svc, admin, cls["id"], ROSTER)
    masked = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster.csv", token=admin)
    assert masked.status == 200
    assert masked.content_type == "text/csv"
    assert isinstance(masked.body, bytes)
    assert masked.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(masked.body.decode("utf-8-sig"))))
    assert [r["姓名"] for r in rows] == ["陈一", "陈二", "陈五"]
    assert rows[0]["手机号"] == "+86139****0001"
    assert rows[0]["证件号码"] == "1101**********002X"
    first_day = date.fromisoformat(cls["schedule_days"][0])
    assert f"{first_day.year}年{first_day.month}月{first_day.day}日" in rows[0]
    full = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster.csv?unmasked=true",
                          token=admin)
    assert isinstance(full.body, bytes)
    first = next(csv.DictReader(io.StringIO(full.body.decode("utf-8-sig"))))
    assert (first["手机号"], first["证件号码"]) == ("+8613911110001", "11010519491231002X")


async def export_rows(svc: Service, token: str, class_id: str, query: str = "") -> list[list[str]]:
    reply = await svc.call("GET", f"/api/v1/classes/{class_id}/roster.csv{query}", token=token)
    assert reply.status == 200, reply.body
    assert reply.body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(reply.body.decode("utf-8-sig"))))


async def test_the_export_speaks_chinese_by_default_and_english_on_request(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    days = cls["schedule_days"]
    zh_days = [f"{d.year}年{d.month}月{d.day}日" for d in map(date.fromisoformat, days)]
    en_days = [f"{d.day} {d:%b} {d.year}" for d in map(date.fromisoformat, days)]
    await import_csv(svc, admin, cls["id"], ROSTER)
    roster = (await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=admin)).body
    first, second = (e["enrollment_id"] for e in roster["items"][:2])
    svc.clock.set(datetime.fromisoformat(f"{days[0]}T02:00:00+00:00"))
    await svc.call("PUT", f"/api/v1/classes/{cls['id']}/attendance/{days[0]}", token=admin,
                   json_body={"records": [{"enrollment_id": first, "status": "present"},
                                          {"enrollment_id": second, "status": "excused"}]})
    await svc.call("PUT", f"/api/v1/enrollments/{first}/result", token=admin,
                   json_body={"theory_score": 85, "practical_score": 90.5})
    header, *rows = await export_rows(svc, admin, cls["id"])
    assert header == ["报名编号", "姓名", "手机号", "证件类型", "证件号码", "状态", "出勤学时",
                      "出勤率（%）", "可参加考核", "理论成绩", "实操成绩", "考核结果", "证书编号",
                      "证书状态", *zh_days]
    assert rows[0][1:] == ["陈一", "+86139****0001", "居民身份证", "1101**********002X",
                           "已签到", "8", "20", "否", "85", "90.5", "", "", "", "出勤",
                           "", "", "", ""]
    assert rows[1][3:14] == ["", "", "已确认", "0", "0", "否", "", "", "", "", ""]
    assert rows[1][14] == "请假"
    header, *rows = await export_rows(svc, admin, cls["id"], "?lang=en")
    assert header[:14] == ["Enrolment ID", "Name", "Mobile", "ID type", "ID number", "Status",
                           "Hours attended", "Attendance (%)", "May sit the exam",
                           "Theory score", "Practical score", "Result", "Certificate number",
                           "Certificate status"]
    assert header[14:] == en_days
    assert rows[0][3:15] == ["Resident ID card", "1101**********002X", "Attended", "8", "20",
                             "No", "85", "90.5", "", "", "", "Present"]
    assert rows[1][14] == "Excused"


async def test_the_cli_imports_a_roster_with_a_progress_bar(svc: Service, tmp_path: Any) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=3)
    await svc.add_user(name="本人", phone="+8613944440000")
    file = tmp_path / "roster.csv"
    file.write_text("phone,name\n" + "".join(f"1394444{i:04d},学员{i}\n" for i in range(5)),
                    encoding="utf-8")
    settings = svc.deps.settings
    env = {**os.environ,
           "JIANGXIN_ENROLLMENT_DATABASE_URL": settings.database_url,
           "JIANGXIN_ENROLLMENT_JWT_PRIVATE_KEY_FILE": str(settings.jwt_private_key_file),
           "JIANGXIN_ENROLLMENT_PII_AT_REST_KEY_FILE": str(settings.pii_at_rest_key_file),
           "JIANGXIN_ENROLLMENT_PII_TRANSPORT_KEY_FILE": str(settings.pii_transport_key_file)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "import-roster", cls["id"], str(file), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    record_output("jiangxin", err)  # its log; stdout is the command's answer
    assert proc.returncode == 0, err.decode()
    assert "created 5, already enrolled 0, refused 0" in out.decode()
    assert "5/5" in err.decode()  # tqdm's bar
    assert "line 2 +86139****0000: existing_account_kept" in out.decode()
    kept = await svc.pool.fetchval("SELECT name FROM users WHERE phone = '+8613944440000'")
    assert kept == "本人"
    detail = await svc.call("GET", f"/api/v1/classes/{cls['id']}")
    assert (detail.body["seats_left"], detail.body["waitlist_length"]) == (0, 2)


async def profile_of(svc: Service, token: str) -> dict[str, Any]:
    reply = await svc.call("GET", "/api/v1/me", token=token)
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


async def test_a_trainers_import_enrols_an_existing_account_but_never_changes_its_details(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    _, own = await svc.add_user(name="本人", phone="+8613966660001")
    _, nameless = await svc.add_user(name="", phone="+8613966660002")
    before = [await profile_of(svc, t) for t in (own, nameless)]
    roster = ("phone,name,email,employer,union_member,id_type,id_number\n"
              "13966660001,冒名,trainer@example.com,某公司,是,resident_id,110101199003071233\n"
              "13966660002,起名,trainer@example.com,某公司,是,resident_id,110101199003071233\n")
    result = await import_csv(svc, trainer, cls["id"], roster)
    assert [await profile_of(svc, t) for t in (own, nameless)] == before
    assert (before[0]["email"], before[0]["id_number_masked"]) == (None, None)
    assert [(r["result"], r["status"], r["code"]) for r in result["rows"]] == [
        ("created", "confirmed", "existing_account_kept"),
        ("refused", None, "profile_incomplete"),  # the trainee names themselves, not the file
    ]
    assert "kept" in result["rows"][0]["detail"]


async def test_a_later_import_keeps_the_details_of_an_account_made_by_an_earlier_one(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    first = await svc.create_class(admin)
    second = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    await import_csv(svc, admin, first["id"],
                     "phone,name,email\n13966660003,原名,own@example.com\n")
    result = await import_csv(svc, trainer, second["id"],
                              "phone,name,email,employer\n13966660003,改名,x@example.com,某公司\n")
    assert [r["code"] for r in result["rows"]] == ["existing_account_kept"]
    row = await svc.pool.fetchrow("SELECT name, email, employer, claimed_at FROM users "
                                  "WHERE phone = '+8613966660003'")
    assert row is not None
    assert dict(row) == {"name": "原名", "email": "own@example.com", "employer": None,
                         "claimed_at": None}


async def test_a_new_account_takes_the_imported_details(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    result = await import_csv(
        svc, admin, cls["id"],
        "手机号,姓名,邮箱,工作单位,证件类型,证件号码\n"
        "13966660004,新学员,New.One@Example.com,美团,身份证,440304198510124565\n")
    assert [(r["result"], r["code"]) for r in result["rows"]] == [("created", None)]
    user_id = await svc.pool.fetchval("SELECT id FROM users WHERE phone = '+8613966660004'")
    profile = await profile_of(svc, svc.token(user_id, "trainee"))
    assert {k: profile[k] for k in ("name", "email", "employer", "id_type",
                                    "id_number_masked")} == {
        "name": "新学员", "email": "New.One@Example.com", "employer": "美团",
        "id_type": "resident_id", "id_number_masked": "4403**********4565"}


async def test_a_row_with_a_bad_email_is_refused_with_its_reason_and_the_rest_import(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    result = await import_csv(svc, admin, cls["id"],
                              "phone,name,email\n13966660005,甲,not-an-address\n"
                              "13966660006,乙,two@at@example.com\n13966660007,丙,ok@example.com\n"
                              f"13966660008,丁,{'x' * 250}@example.com\n")
    assert [(r["result"], r["code"]) for r in result["rows"]] == [
        ("refused", "invalid_email"), ("refused", "invalid_email"), ("created", None),
        ("refused", "invalid_email")]  # too long: refused whole, never cut to a valid-looking one
    assert "email" in result["rows"][0]["detail"].lower()
    assert await svc.pool.fetchval("SELECT count(*) FROM users WHERE phone = ANY($1)",
                                   ["+8613966660005", "+8613966660006", "+8613966660008"]) == 0


async def test_a_row_whose_name_breaks_the_profile_rule_is_refused_with_its_reason(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    result = await import_csv(svc, admin, cls["id"],
                              f"phone,name\n13966660011,{'长' * 101}\n13966660012,{'名' * 100}\n"
                              "13966660013, \n")
    assert [(r["result"], r["code"]) for r in result["rows"]] == [
        ("refused", "invalid_name"), ("created", None), ("refused", "name_required")]
    assert await svc.pool.fetchval("SELECT count(*) FROM users WHERE phone = $1",
                                   "+8613966660011") == 0


async def test_an_import_checks_resident_ids_by_gb_11643_and_accepts_legacy_15_digit_ones(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    result = await import_csv(svc, admin, cls["id"], (
        "手机号,姓名,证件类型,身份证号\n"
        "13911120001,钱一,身份证,110105491231002\n"
        "13911120002,钱二,身份证,110105194912310022\n"
        "13911120003,钱三,身份证,110105491331002\n"
        "13911120004,钱四,身份证,11010519491231002x\n"))
    assert [(r["row"], r["result"], r["code"]) for r in result["rows"]] == [
        (2, "created", None),  # first-generation card: 15 digits, no check character
        (3, "refused", "invalid_id_number"),  # wrong check digit
        (4, "refused", "invalid_id_number"),  # month 13 in the birth date
        (5, "created", None),
    ]
    masked = await svc.pool.fetch(
        "SELECT id_number_masked FROM users WHERE phone = ANY($1::text[]) ORDER BY phone",
        ["+8613911120001", "+8613911120004"])
    assert [r["id_number_masked"] for r in masked] == ["1101*******1002", "1101**********002X"]


async def test_an_import_records_the_person_category_of_the_accounts_it_creates(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    result = await import_csv(svc, admin, cls["id"], (
        "手机号,姓名,人员类别\n"
        "13911130001,蒋一,农民工\n"
        "13911130002,蒋二,graduate\n"
        "13911130003,蒋三,退休人员\n"))
    assert [(r["row"], r["result"], r["code"]) for r in result["rows"]] == [
        (2, "created", None), (3, "created", None), (4, "refused", "invalid_person_category")]
    stored = await svc.pool.fetch(
        "SELECT person_category FROM users WHERE phone = ANY($1::text[]) ORDER BY phone",
        ["+8613911130001", "+8613911130002"])
    assert [r["person_category"] for r in stored] == ["migrant_worker", "graduate"]
