"""Each certificate's history: who did what, when and why."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db import Conn


async def audit_and_draw_index(
    conn: Conn, certificate_id: UUID, action: str, *, actor_id: UUID | None, actor_role: str,
) -> int:
    """Append the issuing line to the history and draw a status index, in one round trip."""
    index: int = await conn.fetchval(
        """WITH audit AS (
               INSERT INTO certificate_audit (certificate_id, action, actor_id, actor_role)
               VALUES ($1, $2, $3, $4))
           SELECT nextval('status_index_seq')""",
        certificate_id, action, actor_id, actor_role,
    )
    return index


async def add_audit(
    conn: Conn, certificate_id: UUID, action: str, *, actor_id: UUID | None,
    actor_role: str, reason: str | None = None, details: dict[str, Any] | None = None,
) -> None:
    """Append one line to a certificate's history."""
    await conn.execute(
        """INSERT INTO certificate_audit (certificate_id, action, actor_id, actor_role, reason,
                                          details)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        certificate_id, action, actor_id, actor_role, reason, details or {},
    )
