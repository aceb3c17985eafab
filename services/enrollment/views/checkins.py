"""Read the check-ins of a class for its trainers (and the ledger)."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.views.models.evidence import ClassCheckin
from shared.db import Conn

_CHECKINS = """
SELECT c.enrollment_id, u.name, c.class_day, c.session_no, c.checked_in_at, c.checked_out_at,
       c.in_source, c.out_source, c.shared_device, c.confirmed_to_end,
       (SELECT count(*) FROM checkin_audit a WHERE a.enrollment_id = c.enrollment_id
          AND a.class_day = c.class_day AND a.session_no = c.session_no) AS corrections
FROM checkins c
JOIN enrollments e ON e.id = c.enrollment_id
JOIN users u ON u.id = e.trainee_id
WHERE c.class_id = $1 AND e.status <> 'cancelled'
  AND (c.checked_in_at IS NOT NULL OR c.checked_out_at IS NOT NULL)
ORDER BY c.class_day, c.session_no, e.booking_no
"""


async def class_checkins(conn: Conn, class_id: UUID) -> list[ClassCheckin]:
    """Return every recorded check-in of a class."""
    return [ClassCheckin(
        enrollment_id=r["enrollment_id"], name=r["name"], date=r["class_day"],
        no=r["session_no"], checked_in_at=r["checked_in_at"], checked_out_at=r["checked_out_at"],
        in_source=r["in_source"], out_source=r["out_source"],
        flags=["shared_device"] if r["shared_device"] else [],
        confirmed_to_end=r["confirmed_to_end"], corrections=r["corrections"],
    ) for r in await conn.fetch(_CHECKINS, class_id)]
