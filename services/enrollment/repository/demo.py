"""What a database holds besides the demo data (demo seeding refuses to mix them unasked)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.db import Conn


@dataclass(frozen=True, slots=True)
class OtherData:
    """Courses, classes and staff accounts that are not the demo's."""

    courses: int
    classes: int
    staff: int

    def __bool__(self) -> bool:
        return bool(self.courses or self.classes or self.staff)


async def other_data(
    conn: Conn, *, course_codes: Sequence[str], classes: Sequence[tuple[str, str]],
    staff_phones: Sequence[str],
) -> OtherData:
    """Count what is not demo data: courses by code, classes by (course code, venue), and
    staff by phone. Trainees and their enrolments do not count: anyone may sign up."""
    row = await conn.fetchrow(
        """SELECT
             (SELECT count(*) FROM courses WHERE code <> ALL($1::text[])) AS courses,
             (SELECT count(*) FROM classes c JOIN courses co ON co.id = c.course_id
               WHERE NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS d(code, venue)
                                 WHERE d.code = co.code AND d.venue = c.venue)) AS classes,
             (SELECT count(*) FROM users WHERE role IN ('trainer', 'admin')
                AND phone <> ALL($4::text[])) AS staff""",
        list(course_codes), [c for c, _ in classes], [v for _, v in classes], list(staff_phones),
    )
    assert row is not None
    return OtherData(courses=row["courses"], classes=row["classes"], staff=row["staff"])
