"""The catalogue's categories: names from course_categories, open classes counted now."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.enrollment.views.models.categories import CategoryList, CategoryOut
from shared.db import Conn

# The distinct categories by a loose index scan (one probe of courses_category per category,
# however many courses), and the open classes counted from the classes_enrolling index.
CATEGORIES_SQL = """
WITH RECURSIVE codes AS (
    (SELECT category FROM courses ORDER BY category LIMIT 1)
    UNION ALL
    SELECT (SELECT co.category FROM courses co WHERE co.category > codes.category
            ORDER BY co.category LIMIT 1)
    FROM codes WHERE codes.category IS NOT NULL
), open AS (
    SELECT category, count(*) AS n FROM classes
    WHERE status = 'scheduled' AND results_released_at IS NULL
      AND enroll_opens_at <= $1 AND $1 < enroll_closes_at
    GROUP BY category
)
SELECT codes.category AS code, coalesce(cc.name_zh, codes.category) AS name_zh,
       coalesce(cc.name_en, codes.category) AS name_en, coalesce(open.n, 0) AS open_classes
FROM codes
LEFT JOIN course_categories cc ON cc.code = codes.category
LEFT JOIN open ON open.category = codes.category
WHERE codes.category IS NOT NULL
ORDER BY open_classes DESC, codes.category
"""


async def list_categories(conn: Conn | asyncpg.Pool, now: datetime) -> CategoryList:
    """Return every category with a course, its names and its classes open at `now`."""
    rows = await conn.fetch(CATEGORIES_SQL, now)
    return CategoryList(items=[
        CategoryOut(code=r["code"], name_zh=r["name_zh"], name_en=r["name_en"],
                    open_classes=r["open_classes"])
        for r in rows
    ])
