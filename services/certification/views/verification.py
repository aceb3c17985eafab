"""What the public may read (verification, DID document, status lists): the read pool's queries."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from services.certification.credentials.status_list import Purpose, list_number_of
from services.certification.domain.certificate import masked_holder, masked_id, public_status
from services.certification.domain.levels import kind_of, level_name, shown_level, title_of
from services.certification.domain.public import public_id, public_reason, reason_label
from services.certification.views.models import VerifyOut

_PUBLIC = "status IN ('valid', 'suspended', 'revoked')"
_VERIFY_COLUMNS = f"""
    c.status, c.number, c.code, c.holder->>'name' AS holder_name, c.id_type,
    c.id_number_masked, c.course, c.level, c.hours, c.issued_on, c.expires_on, c.issuer_name,
    c.reason, c.revocation_kind, c.reason_category,
    (SELECT n.number FROM certificates n WHERE n.id = c.replaced_by) AS replaced_by_number
FROM certificates c WHERE c.{_PUBLIC} AND """
_BY_NUMBER = f"SELECT {_VERIFY_COLUMNS} c.number = $1"
_BY_CODE = f"SELECT {_VERIFY_COLUMNS} c.code = $1 AND c.replaced_by IS NULL"
_BY_ID = f"SELECT {_VERIFY_COLUMNS} c.id = $1"


async def verification_record(
    pool: asyncpg.Pool, *, number: str | None = None, code: str | None = None,
    certificate_id: UUID | None = None,
) -> asyncpg.Record | None:
    """Return the public facts of an issued certificate by number, code or id."""
    if number is not None:
        return await pool.fetchrow(_BY_NUMBER, number)
    if code is not None:
        return await pool.fetchrow(_BY_CODE, code)
    return await pool.fetchrow(_BY_ID, certificate_id)


async def flagged_indices(pool: asyncpg.Pool, purpose: Purpose, lo: int, hi: int) -> list[int]:
    """Return the status indices in [lo, hi) whose bit is set for a purpose."""
    status = "revoked" if purpose == "revocation" else "suspended"
    rows = await pool.fetch(
        """SELECT status_index FROM certificates
           WHERE status = $1 AND status_index >= $2 AND status_index < $3""",
        status, lo, hi,
    )
    return [r["status_index"] for r in rows]


def present_public(record: asyncpg.Record | dict[str, Any], *, today: date,
                   base_url: str, with_code: bool = True) -> VerifyOut:
    """Return what the public may see: status, masked personal data, the reason's category.

    `with_code` False (a lookup by number and name) leaves out the verification code and the
    URL that carries it: knowing a number and a name must not hand out the code.
    """
    course = record["course"]
    kind = kind_of(course.get("certificate_kind", "training"), record["number"])
    level = shown_level(kind, record["level"])
    status = public_status(record["status"], record["expires_on"], today)
    reason = public_reason(record["status"], revocation_kind=record["revocation_kind"],
                           category=record["reason_category"])
    return VerifyOut(
        status=status, number=record["number"], code=record["code"] if with_code else None,
        holder=masked_holder(record["holder_name"]), id_type=record["id_type"],
        id_number=public_id(masked_id(record["id_number_masked"])), title=title_of(kind),
        kind=kind,
        course=course["title_zh"], course_en=course["title_en"],
        occupation=course["occupation_name"], work_type=course.get("work_type") or "--",
        level=level, level_name=level_name(level), hours=None if level else record["hours"],
        issued_on=record["issued_on"], expires_on=record["expires_on"],
        issuer=record["issuer_name"], reason=reason_label(reason), reason_code=reason,
        replaced_by_number=record["replaced_by_number"],
        verify_url=f"{base_url}/verify/{record['code']}" if with_code else None,
    )


async def published_keys(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    """Return the public half of every signing key, oldest first."""
    return list(await pool.fetch(
        "SELECT kid, seq, public_jwk, created_at, retired_at FROM signing_keys ORDER BY seq"
    ))


async def highest_list_number(pool: asyncpg.Pool, size: int) -> int:
    """Return the number of the newest status list in use (0 before any issue)."""
    last = await pool.fetchval("SELECT last_value FROM status_index_seq")
    return list_number_of(int(last), size)
