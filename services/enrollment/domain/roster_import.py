"""What a roster import file may say: UTF-8 or GB18030 CSV, English or Chinese headers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from shared.errors import ValidationFailed

MAX_ROWS = 20_000
_HEADERS = {
    "phone": "phone", "mobile": "phone", "手机": "phone", "手机号": "phone", "手机号码": "phone",
    "电话": "phone", "联系电话": "phone",
    "name": "name", "姓名": "name",
    "email": "email", "邮箱": "email", "电子邮箱": "email",
    "union_member": "union_member", "工会会员": "union_member", "是否工会会员": "union_member",
    "employer": "employer", "工作单位": "employer", "单位": "employer",
    "id_type": "id_type", "证件类型": "id_type",
    "id_number": "id_number", "证件号码": "id_number", "身份证号": "id_number",
    "身份证号码": "id_number",
    "person_category": "person_category", "人员类别": "person_category",
    "人员类型": "person_category",
}
_TRUE = frozenset({"1", "true", "yes", "y", "是", "会员", "t"})
_ID_TYPES = {"身份证": "resident_id", "居民身份证": "resident_id", "护照": "passport",
             "港澳居民来往内地通行证": "hk_macao_permit", "台湾居民来往大陆通行证": "taiwan_permit"}


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One data line of an import file (line 1 is the header)."""

    line: int
    phone: str
    name: str
    email: str | None = None
    union_member: bool = False
    employer: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    person_category: str | None = None  # a code or its Chinese label (claim_pack)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("The file is neither UTF-8 nor GB18030 text.", code="invalid_csv")


def parse_roster(data: bytes) -> list[RosterRow]:
    """Read an import file; it needs a header with at least phone and name columns."""
    text = _decode(data)
    if "\x00" in text:
        raise ValidationFailed("The file contains NUL characters.", code="invalid_csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationFailed("The file is empty.", code="invalid_csv") from None
    columns = [_HEADERS.get(h.strip().lower(), _HEADERS.get(h.strip(), "")) for h in header]
    if "phone" not in columns or "name" not in columns:
        raise ValidationFailed("The header needs 'phone' and 'name' columns.",
                               code="invalid_csv", columns=header[:20])
    rows: list[RosterRow] = []
    try:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed(f"At most {MAX_ROWS} rows per file.", code="too_many_rows")
            rows.append(_row(line, dict(zip(columns, values, strict=False))))
    except csv.Error as exc:
        raise ValidationFailed(f"The CSV is malformed: {exc}", code="invalid_csv") from None
    return rows


def _row(line: int, cells: dict[str, str]) -> RosterRow:
    def cell(name: str) -> str | None:
        value = cells.get(name, "").strip()
        return value[:200] or None

    id_type = cell("id_type")
    # Whole, not cut to 200: a cut address could still look valid but reach someone else.
    email = cells.get("email", "").strip() or None
    return RosterRow(
        line=line, phone=cell("phone") or "", name=cell("name") or "",
        email=email, union_member=(cell("union_member") or "").lower() in _TRUE,
        employer=cell("employer"), id_type=_ID_TYPES.get(id_type or "", id_type),
        id_number=cell("id_number"), person_category=cell("person_category"),
    )
