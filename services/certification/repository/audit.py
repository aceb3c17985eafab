"""Each certificate's history: who did what, when and why."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.certification.credentials.status_list import FILL, random_index
from services.certification.repository import numbering
from shared.db import Conn


async def audit_and_draw_index(
    conn: Conn, certificate_id: UUID, action: str, *, actor_id: UUID | None, actor_role: str,
    size: int,
) -> int | None:
    """Append the issuing line to the history and claim a random status index, in one round trip.

    None when the index drawn was taken (the caller draws again with numbering).
    """
    index: int | None = await conn.fetchval(
        f"""WITH audit AS (
               INSERT INTO certificate_audit (certificate_id, action, actor_id, actor_role)
               VALUES ($1, $2, $3, $4))
           INSERT INTO status_indices (status_index) SELECT {numbering.claimed_index(5)}
           ON CONFLICT DO NOTHING RETURNING status_index""",
        certificate_id, action, actor_id, actor_role,
        size // FILL, size, random_index(size),
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
