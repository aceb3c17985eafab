"""Password sign-in (trainers, administrators) with failure limits per phone and address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.enrollment.config import Settings
from services.enrollment.deps import Deps
from services.enrollment.domain.identity import (
    PasswordLimits,
    Standing,
    check_password_attempt,
    locks_after_failure,
)
from services.enrollment.repository import passwords as repo
from services.enrollment.repository import users
from shared.errors import Busy, RateLimited, Unauthorized
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Attempt:
    phone: str
    phone_key: str
    client: str
    limits: PasswordLimits


def limits_of(settings: Settings) -> PasswordLimits:
    """Return the password attempt limits from configuration."""
    return PasswordLimits(
        per_phone=settings.password_failures_per_phone,
        per_ip=settings.password_failures_per_ip,
        window=timedelta(seconds=settings.password_failure_window_s),
        lock=timedelta(seconds=settings.password_lock_s),
    )


async def check_password(phone: str, password: str, *, client: str, deps: Deps) -> Any:
    """Return the user whose phone and password these are, within the failure limits.

    An unknown phone costs one argon2 check against a dummy hash and counts as a failure like
    a wrong password: the answer, its timing class and the locks never tell whether it exists.
    """
    attempt = _Attempt(phone, deps.ciphers.phone_key(phone), client, limits_of(deps.settings))
    admitted = await in_transaction(deps.uows, lambda uow: _admit(uow, attempt, deps.clock.now()))
    async with deps.pool.acquire() as conn:
        user = await users.user_by_phone(conn, phone)
    stored = user["password_hash"] if user is not None else None
    try:
        verdict = await deps.passwords.verify(stored, password)
    except Busy:  # never checked: not a failure of this phone or address
        await in_transaction(deps.uows, lambda uow: repo.forget_attempt(uow.conn, admitted))
        log.warning("password_sign_in_busy", client=client)
        raise
    if verdict.matched and user is not None:
        rehashed = await _rehash(password, deps) if verdict.needs_rehash else None
        await in_transaction(deps.uows, lambda uow: _succeed(uow, attempt, user, rehashed, deps))
        return user
    await in_transaction(deps.uows, lambda uow: _fail(uow, attempt, deps.clock.now()))
    log.info("password_sign_in_failed", phone=phone, client=client)
    raise Unauthorized("The phone number or password is not correct.", code="invalid_credentials")


async def _rehash(password: str, deps: Deps) -> str | None:
    try:
        return await deps.passwords.hash(password)
    except Busy:  # the sign-in stands; the hash is remade at a quieter sign-in
        return None


async def _succeed(
    uow: UnitOfWork, attempt: _Attempt, user: Any, rehashed: str | None, deps: Deps
) -> None:
    await repo.forget_phone(uow.conn, attempt.phone_key, now=deps.clock.now())
    if rehashed is not None:  # stored with an older cost: remade with today's
        await users.replace_password_hash(uow.conn, user["id"], old=user["password_hash"],
                                          new=rehashed)
        log.info("password_rehashed", user_id=str(user["id"]))


async def _admit(uow: UnitOfWork, attempt: _Attempt, now: datetime) -> int:
    phone, ip = await _standings(uow, attempt, now)
    try:
        check_password_attempt(phone, ip, now=now, limits=attempt.limits)
    except RateLimited:
        log.info("password_sign_in_refused", phone=attempt.phone, client=attempt.client)
        raise
    return await repo.record_attempt(uow.conn, phone_key=attempt.phone_key,
                                     client_ip=attempt.client, now=now)


async def _fail(uow: UnitOfWork, attempt: _Attempt, now: datetime) -> None:
    phone, ip = await _standings(uow, attempt, now)
    lock_phone, lock_ip = locks_after_failure(phone, ip, limits=attempt.limits)
    until = now + attempt.limits.lock
    if lock_phone:
        await repo.lock(uow.conn, scope="phone", key=attempt.phone_key, until=until)
        log.warning("password_sign_in_locked", scope="phone", phone=attempt.phone,
                    until=until.isoformat())
    if lock_ip:
        await repo.lock(uow.conn, scope="ip", key=attempt.client, until=until)
        log.warning("password_sign_in_locked", scope="ip", client=attempt.client,
                    until=until.isoformat())


async def _standings(
    uow: UnitOfWork, attempt: _Attempt, now: datetime
) -> tuple[Standing, Standing]:
    await repo.lock_keys(uow.conn, phone_key=attempt.phone_key, client_ip=attempt.client)
    return await repo.standings(uow.conn, phone_key=attempt.phone_key, client_ip=attempt.client,
                                since=now - attempt.limits.window)
