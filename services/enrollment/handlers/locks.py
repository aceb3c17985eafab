"""Lock the class an enrolment is in, as it is under the lock (a move changes the class).

An enrolment's class is read without a lock, so a move committed between that read and the
class lock leaves the caller holding the old class: a cancel would free a seat there twice, a
trainer of the old class could score it. A move holds both classes' locks while it changes
`class_id`, so once the class read first is locked, reading the enrolment again tells for sure
whether it is still there; when it is not, the whole unit of work runs again (`in_transaction`
repeats it after a serialization failure) and reads the new class.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import asyncpg

from services.enrollment.repository import Row
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import enrollments as repo
from shared.db import Conn

T = TypeVar("T")


async def lock_enrolment_with(
    conn: Conn, enrollment_id: UUID, lock: Callable[[UUID], Awaitable[T]]
) -> tuple[Row, T] | None:
    """Run `lock` on the enrolment's class id; return (owner, what it returned), the owner
    (class and trainee) read again under that lock, or None when there is no such enrolment."""
    owner = await repo.owner(conn, enrollment_id)
    if owner is None:
        return None
    locked = await lock(owner["class_id"])
    again = await repo.owner(conn, enrollment_id)
    assert again is not None  # enrolments are never deleted
    if again["class_id"] != owner["class_id"]:
        raise asyncpg.exceptions.SerializationError("the enrolment moved to another class")
    return again, locked


async def lock_enrolment_class(conn: Conn, enrollment_id: UUID) -> tuple[Row, Row] | None:
    """Lock the enrolment's class; return (owner, class row), or None for no such enrolment."""
    found = await lock_enrolment_with(conn, enrollment_id,
                                      lambda class_id: class_repo.lock_class(conn, class_id))
    if found is None:
        return None
    owner, cls = found
    assert cls is not None  # an enrolment's class is never deleted
    return owner, cls
