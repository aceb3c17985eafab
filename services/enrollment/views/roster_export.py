"""The roster export: CSV (UTF-8 with BOM, so spreadsheet programs show Chinese correctly) in
the reader's language, headers and values a person can read (已签到, 请假, 合格) instead of
codes; numbers stay numbers; the class days head their columns as the pages write dates
(2026年12月7日, 7 Dec 2026)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from services.enrollment.views.models import RosterEntry

ExportLang = Literal["zh-CN", "en"]


@dataclass(frozen=True, slots=True)
class Words:
    """One language's header and value labels (the web front's words for the same things)."""

    header: tuple[str, ...]
    status: Mapping[str, str]
    attendance: Mapping[str, str]
    id_type: Mapping[str, str]
    certificate: Mapping[str, str]
    yes_no: tuple[str, str]
    passed_failed: tuple[str, str]
    months: tuple[str, ...] | None = None  # English month names; None: 2026年12月7日

    def day(self, value: date) -> str:
        """Write a date as the pages of this language do."""
        if self.months is None:
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value.day} {self.months[value.month - 1]} {value.year}"


# The Chinese header names are those a roster import reads (姓名, 手机号, 证件类型, 证件号码).
WORDS: dict[ExportLang, Words] = {
    "zh-CN": Words(
        header=("报名编号", "姓名", "手机号", "证件类型", "证件号码", "状态", "出勤学时",
                "出勤率（%）", "可参加考核", "理论成绩", "实操成绩", "考核结果", "证书编号",
                "证书状态"),
        status={"confirmed": "已确认", "attended": "已签到", "completed": "已结业",
                "no_show": "缺课", "waitlisted": "候补中", "offered": "待确认",
                "cancelled": "已取消"},
        attendance={"present": "出勤", "late": "迟到", "excused": "请假", "absent": "缺勤"},
        id_type={"resident_id": "居民身份证", "passport": "护照",
                 "hk_macao_permit": "港澳居民来往内地通行证",
                 "taiwan_permit": "台湾居民来往大陆通行证", "other": "其他"},
        certificate={"pending": "待审核", "valid": "有效", "suspended": "已暂停",
                     "revoked": "已撤销", "expired": "已过期", "withdrawn": "已撤回"},
        yes_no=("是", "否"), passed_failed=("合格", "不合格"),
    ),
    "en": Words(
        header=("Enrolment ID", "Name", "Mobile", "ID type", "ID number", "Status",
                "Hours attended", "Attendance (%)", "May sit the exam", "Theory score",
                "Practical score", "Result", "Certificate number", "Certificate status"),
        status={"confirmed": "Confirmed", "attended": "Attended", "completed": "Completed",
                "no_show": "No-show", "waitlisted": "Waitlisted", "offered": "Offered",
                "cancelled": "Cancelled"},
        attendance={"present": "Present", "late": "Late", "excused": "Excused",
                    "absent": "Absent"},
        id_type={"resident_id": "Resident ID card", "passport": "Passport",
                 "hk_macao_permit": "Hong Kong/Macao permit", "taiwan_permit": "Taiwan permit",
                 "other": "Other"},
        certificate={"pending": "Pending approval", "valid": "Valid", "suspended": "Suspended",
                     "revoked": "Revoked", "expired": "Expired", "withdrawn": "Withdrawn"},
        yes_no=("Yes", "No"), passed_failed=("Passed", "Not passed"),
        months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec"),
    ),
}


def header_of(words: Words, days: Sequence[date]) -> list[str]:
    """Return the header line: the fixed columns, then one column per class day."""
    return [*words.header, *(words.day(d) for d in days)]


def number(value: float | None) -> str | None:
    """Return a number as a spreadsheet reads it: 40 not 40.0, 90.5 as is."""
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def _label(labels: Mapping[str, str], code: str | None) -> str | None:
    return None if code is None else labels.get(code, code)


def line_of(
    words: Words, e: RosterEntry, *, phone: str, id_type: str | None, id_number: str | None,
    days: Sequence[date],
) -> list[object]:
    """Return one trainee's line of the export."""
    yes, no = words.yes_no
    passed, failed = words.passed_failed
    return [
        e.enrollment_id, e.name, phone, _label(words.id_type, id_type), id_number,
        _label(words.status, e.status), number(e.hours_attended),
        number(round(e.attendance_rate * 100, 1)), yes if e.exam_eligible else no,
        number(e.theory_score), number(e.practical_score),
        None if e.passed is None else passed if e.passed else failed,
        e.certificate_number, _label(words.certificate, e.certificate_status),
        *(_label(words.attendance, e.attendance.get(d)) for d in days),
    ]


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return CSV bytes (UTF-8 with BOM) with a header line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


_PLAIN = re.compile(r"[+-]?[\d.*]+")


def _safe(value: object) -> str:
    text = str(value)
    # A cell starting with = + - @ is a formula in spreadsheet programs: neutralise it
    # (numbers and phone numbers, masked or not, stay as they are).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PLAIN.fullmatch(text):
        return "'" + text
    return text
