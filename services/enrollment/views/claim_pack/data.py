"""Read what the claim pack's documents show and lay it out as tables of one template."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from services.enrollment.domain.claim_pack import (
    ID_TYPE_LABELS,
    PASSED_ONLY,
    PERSON_CATEGORIES,
    PERSONAL,
    RESULT_LABELS,
    ClaimTemplate,
    Document,
)
from services.enrollment.domain.schedule import level_label
from services.enrollment.domain.sessions import Session
from services.enrollment.views.hours import ClassEvidence, class_evidence
from services.enrollment.views.models.evidence import ClassCheckin, PersonCategoryOut, PlansOut
from shared.db import Conn
from shared.masking import mask_id_number, mask_name, mask_phone

Cell = str | int | float | None
_CLASS = """
SELECT c.*, co.title_zh, co.occupation_code, co.occupation_name, co.work_type, co.level,
       co.required_hours,
       (SELECT string_agg(u.name, '、' ORDER BY t.ord) FROM unnest(c.trainer_ids)
            WITH ORDINALITY AS t(id, ord) JOIN users u ON u.id = t.id) AS trainer_names
FROM classes c JOIN courses co ON co.id = c.course_id WHERE c.id = $1
"""
_TRAINEES = """
SELECT e.id, e.status, e.theory_score, e.practical_score, e.passed, e.released_at,
       u.name, u.phone, u.id_type, u.id_number_masked, u.id_number_encrypted, u.person_category,
       cert.number AS certificate_number, cert.issued_on AS certificate_date
FROM enrollments e JOIN users u ON u.id = e.trainee_id
LEFT JOIN LATERAL (
    SELECT number, issued_on FROM certificates ct WHERE ct.enrollment_id = e.id
    ORDER BY (ct.status = 'valid') DESC, ct.issued_at DESC NULLS LAST, ct.seq DESC LIMIT 1
) cert ON true
WHERE e.class_id = $1 AND e.status IN ('confirmed', 'attended', 'completed', 'no_show')
ORDER BY e.booking_no
"""
_LEDGER = """
SELECT c.enrollment_id, u.name, c.class_day, c.session_no, c.checked_in_at, c.checked_out_at,
       c.in_source, c.out_source, c.shared_device, c.confirmed_to_end, 0 AS corrections
FROM checkins c JOIN enrollments e ON e.id = c.enrollment_id JOIN users u ON u.id = e.trainee_id
WHERE c.class_id = $1 AND e.status <> 'cancelled'
  AND (c.checked_in_at IS NOT NULL OR c.checked_out_at IS NOT NULL)
ORDER BY c.class_day, c.session_no, e.booking_no
"""


@dataclass(frozen=True)
class Table:
    """One document laid out: title, form fields above the table, headers and rows."""

    title: str
    subtitle: str
    fields: list[tuple[str, str]]
    headers: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class ClassFacts:
    """Everything the documents of one class show."""

    cls: Any
    trainees: list[Any]
    evidence: ClassEvidence
    ledger: list[ClassCheckin]


async def class_facts(conn: Conn, class_id: UUID) -> ClassFacts | None:
    """Read a class's facts for the claim pack, or None when there is no such class."""
    cls = await conn.fetchrow(_CLASS, class_id)
    evidence = await class_evidence(conn, class_id)
    if cls is None or evidence is None:
        return None
    ledger = [ClassCheckin(
        enrollment_id=r["enrollment_id"], name=r["name"], date=r["class_day"], no=r["session_no"],
        checked_in_at=r["checked_in_at"], checked_out_at=r["checked_out_at"],
        in_source=r["in_source"], out_source=r["out_source"],
        flags=["shared_device"] if r["shared_device"] else [],
        confirmed_to_end=r["confirmed_to_end"], corrections=0)
        for r in await conn.fetch(_LEDGER, class_id)]
    return ClassFacts(cls, list(await conn.fetch(_TRAINEES, class_id)), evidence, ledger)


@dataclass(frozen=True)
class Disclosure:
    """How personal data is shown: masked, or in full (an administrator's audited export)."""

    unmasked: bool
    open_id: Callable[[str], str]


def lay_out(
    facts: ClassFacts, template: ClaimTemplate, document: Document, *, tz: str,
    disclosure: Disclosure, now: datetime | None = None,
) -> Table:
    """Return one document of a class laid out by the template (the ledger: every trainee in
    every session begun by `now`, also those who did not check in)."""
    layout = template.documents[document]
    c = facts.cls
    subtitle = f"{c['title_zh']} · {c['name'] or c['venue']} · {c['starts_on']}至{c['ends_on']}"
    if document == "ledger":
        recorded = {(e.enrollment_id, e.date, e.no): e for e in facts.ledger}
        rows = [_ledger_row(layout.columns, recorded.get((t["id"], s.day, s.no)), t, s, facts, tz)
                for s in facts.evidence.sessions if now is None or s.start(tz) <= now
                for t in facts.trainees]
        return Table(layout.title, subtitle, [], [col.header for col in layout.columns], rows)
    people = [t for t in facts.trainees if document not in PASSED_ONLY or t["passed"]]
    rows = [[_trainee_value(col.key, i, t, facts, tz, disclosure) for col in layout.columns]
            for i, t in enumerate(people, start=1)]
    fields = [(f.header, _class_value(f.key, facts, template)) for f in layout.fields]
    return Table(layout.title, subtitle, fields, [col.header for col in layout.columns], rows)


def _dates(c: Any) -> str:
    return f"{c['starts_on']}至{c['ends_on']}"


def _class_value(key: str, facts: ClassFacts, template: ClaimTemplate) -> str:
    c, sessions = facts.cls, facts.evidence.sessions
    planned = sum(s.minutes() for s in sessions)
    values: dict[str, object] = {
        "organiser": template.organiser, "class_name": c["name"] or "--",
        "course": c["title_zh"], "occupation_code": c["occupation_code"] or "--",
        "occupation": _occupation(c), "level": level_label(c["level"]) or "培训合格",
        "dates": _dates(c), "planned_hours": f"{planned / 60:g}",
        "sessions": "；".join(f"{s.day} {s.starts_at:%H:%M}-{s.ends_at:%H:%M}" for s in sessions),
        "venue": c["venue"], "trainers": c["trainer_names"] or "--",
        "planned_count": str(len(facts.trainees)),
        "teaching_plan": c["teaching_plan"] or "--",
        "assessment_plan": c["assessment_plan"] or "--",
    }
    return str(values[key])


def _occupation(c: Any) -> str:
    work = c["work_type"]
    return f"{c['occupation_name']}（{work}）" if work else str(c["occupation_name"])


def _trainee_value(
    key: str, seq: int, t: Any, facts: ClassFacts, tz: str, disclosure: Disclosure,
) -> Cell:
    c = facts.cls
    if key in PERSONAL and disclosure.unmasked:
        if key == "phone":
            return str(t["phone"])
        return disclosure.open_id(t["id_number_encrypted"]) if t["id_number_encrypted"] else ""
    hours = facts.evidence.hours_of(t["id"], tz=tz)
    values: dict[str, Cell] = {
        "seq": seq, "name": t["name"], "masked_name": mask_name(t["name"]),
        "id_type": ID_TYPE_LABELS.get(t["id_type"] or "", ""),
        "id_number": t["id_number_masked"] or "",
        "masked_id_number": t["id_number_masked"] or "",
        "phone": mask_phone(t["phone"]),
        "person_category": PERSON_CATEGORIES.get(t["person_category"] or "", ""),
        "occupation": _occupation(c), "occupation_code": c["occupation_code"] or "--",
        "level": level_label(c["level"]) or "培训合格", "dates": _dates(c),
        "hours": float(hours.hours), "theory_score": _score(t["theory_score"]),
        "practical_score": _score(t["practical_score"]),
        "result": RESULT_LABELS[t["passed"]] if t["released_at"] else RESULT_LABELS[None],
        "certificate_number": t["certificate_number"] or "",
        "certificate_date": t["certificate_date"].isoformat() if t["certificate_date"] else "",
    }
    value = values[key]
    return mask_id_number(str(value)) if key == "masked_id_number" and value else value


def _score(value: Any) -> float | None:
    return None if value is None else float(value)


def _ledger_row(
    columns: Any, entry: ClassCheckin | None, trainee: Any, session: Session, facts: ClassFacts,
    tz: str,
) -> list[Cell]:
    zone = ZoneInfo(tz)
    counted = next(h for h in facts.evidence.hours_of(trainee["id"], tz=tz).sessions
                   if (h.day, h.no) == (session.day, session.no))

    def clock(moment: datetime | None, source: str | None) -> str:
        if moment is None:
            return ""
        text = moment.astimezone(zone).strftime("%H:%M:%S")
        return f"{text}（教师补录）" if source == "trainer" else text

    flags = [text for flag, text in (
        (entry is None or entry.checked_in_at is None, "未签到"),
        (counted.missing_checkout, "未签退"), (counted.late, "迟到"),
        (counted.left_early, "早退"), (entry is not None and "shared_device" in entry.flags,
                                      "同一设备多人签到"),
        (counted.overridden, "按日考勤登记")) if flag]
    confirmation = ""
    if entry is not None:
        confirmation = "已确认至下课" if entry.confirmed_to_end else (
            "教师补录" if "trainer" in (entry.in_source, entry.out_source) else "")
    values: dict[str, Cell] = {
        "date": session.day.isoformat(), "session": f"第{session.no}节",
        "session_time": f"{session.starts_at:%H:%M}-{session.ends_at:%H:%M}",
        "name": trainee["name"],
        "checked_in_at": clock(entry.checked_in_at, entry.in_source) if entry else "",
        "checked_out_at": clock(entry.checked_out_at, entry.out_source) if entry else "",
        "minutes": counted.minutes, "flags": "、".join(flags), "confirmation": confirmation,
    }
    return [values[col.key] for col in columns]


async def plans(conn: Conn, class_id: UUID) -> PlansOut:
    """Return a class's teaching and assessment plans."""
    row = await conn.fetchrow(
        "SELECT teaching_plan, assessment_plan FROM classes WHERE id = $1", class_id)
    if row is None:
        return PlansOut(teaching_plan="", assessment_plan="")
    return PlansOut(teaching_plan=row["teaching_plan"], assessment_plan=row["assessment_plan"])


async def person_category_of(conn: Conn, user_id: UUID) -> PersonCategoryOut:
    """Return a user's person category."""
    return PersonCategoryOut(person_category=await conn.fetchval(
        "SELECT person_category FROM users WHERE id = $1", user_id))
