"""Sign-in codes, tokens, profiles and staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from services.enrollment.commands import (
    CreateUser,
    IssueToken,
    RequestOtp,
    UpdateProfile,
)
from services.enrollment.config import Settings
from services.enrollment.deps import Deps
from services.enrollment.domain.identity import (
    OtpCeilings,
    OtpLimits,
    StoredOtp,
    check_otp_block_rate,
    check_otp_client_rate,
    check_otp_overall_rate,
    check_otp_rate,
    check_otp_region,
    check_password_strength,
    judge_otp,
    new_otp_code,
    normalise_id_number,
)
from services.enrollment.domain.phones import block_of, normalise_phone, region_of
from services.enrollment.handlers import identity_changes, passwords
from services.enrollment.repository import users as repo
from services.enrollment.views import users as views
from services.enrollment.views.models import OtpOut, ProfileOut, TokenOut, UserRef
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationFailed
from shared.events.catalog import OtpRequested
from shared.logging import get_logger
from shared.masking import mask_id_number
from shared.messaging.uow import UnitOfWork, in_transaction
from shared.metrics import OTP_ISSUED, OTP_REFUSED, child

log = get_logger(__name__)


def _otp_ceilings(settings: Settings) -> OtpCeilings:
    return OtpCeilings(per_client=settings.otp_per_ip,
                       client_window=timedelta(seconds=settings.otp_per_ip_window_s),
                       per_minute_overall=settings.otp_global_per_minute,
                       per_block_per_hour=settings.otp_per_prefix_per_hour)


async def request_otp(cmd: RequestOtp, *, deps: Deps, client: str) -> OtpOut:
    """Issue a sign-in code to a mobile number of an allowed region, within the limits per
    number, per client address, per block of numbers and overall."""
    phone = normalise_phone(cmd.phone, require_mobile=True)
    region = region_of(phone)
    try:
        check_otp_region(region, allowed=deps.settings.otp_regions)
    except ValidationFailed as exc:
        child(OTP_REFUSED, exc.code).inc()
        log.warning("otp_refused", phone=phone, client=client, reason=exc.code, region=region)
        raise
    s = deps.settings
    limits = OtpLimits(per_minute=s.otp_per_minute, per_hour=s.otp_per_hour,
                       per_day=s.otp_per_day)
    ceilings = _otp_ceilings(s)

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        await repo.lock_phone(uow.conn, phone)
        sent = await repo.otp_sent_times(uow.conn, phone, since=now - timedelta(days=1))
        check_otp_rate(sent, now=now, limits=limits)
        await _check_ceilings(uow, client, block_of(phone), now=now, ceilings=ceilings)
        code = new_otp_code()
        expires_at = now + timedelta(seconds=s.otp_ttl_s)
        user = await repo.user_by_phone(uow.conn, phone)
        locale = user["locale"] if user else (cmd.locale or "zh-CN")
        await repo.insert_otp(uow.conn, phone=phone, code_hash=deps.ciphers.otp_hash(phone, code),
                              now=now, expires_at=expires_at, client_ip=client)
        await uow.publish(OtpRequested(phone=phone, code=code, expires_at=expires_at,
                                       locale=locale))

    try:
        await in_transaction(deps.uows, work)
    except RateLimited as exc:
        child(OTP_REFUSED, exc.code).inc()
        log.info("otp_refused", phone=phone, client=client, reason=exc.code)
        raise
    child(OTP_ISSUED, region).inc()
    log.info("otp_requested", phone=phone)
    return OtpOut(expires_in=s.otp_ttl_s, resend_after=60 // max(1, s.otp_per_minute))


async def _check_ceilings(
    uow: UnitOfWork, client: str, block: str, *, now: datetime, ceilings: OtpCeilings
) -> None:
    # Locks in one order (number, address, block, everybody); the last is held only until
    # commit.
    await repo.lock_client(uow.conn, client)
    check_otp_client_rate(
        await repo.nth_newest_otp_of_client(uow.conn, client, n=ceilings.per_client,
                                            since=now - ceilings.client_window),
        now=now, ceilings=ceilings)
    await repo.lock_block(uow.conn, block)
    check_otp_block_rate(
        await repo.nth_newest_otp_of_block(uow.conn, block, n=ceilings.per_block_per_hour,
                                           since=now - timedelta(hours=1)),
        now=now, ceilings=ceilings)
    await repo.lock_otp_ceiling(uow.conn)
    check_otp_overall_rate(
        await repo.nth_newest_otp(uow.conn, n=ceilings.per_minute_overall,
                                  since=now - timedelta(minutes=1)),
        now=now, ceilings=ceilings)


@dataclass(frozen=True, slots=True)
class _SignIn:
    outcome: str
    user: Any = None
    attempts_left: int = 0


async def issue_token(cmd: IssueToken, *, deps: Deps, client: str) -> TokenOut:
    """Sign in with a code (trainees; first sign-in creates or claims the account) or a
    password (trainers and administrators; failures limited per phone and client address)."""
    if cmd.password is not None:
        phone = normalise_phone(cmd.phone)
        user = await passwords.check_password(phone, cmd.password, client=client, deps=deps)
        return _token(deps, user)
    phone = normalise_phone(cmd.phone, require_mobile=True)
    assert cmd.code is not None
    code = cmd.code or ""
    result = await in_transaction(deps.uows, lambda uow: _check_code(uow, deps, phone, code))
    if result.outcome == "wrong":
        raise Unauthorized("The code is not correct.", code="invalid_code",
                           attempts_left=result.attempts_left)
    if result.outcome == "locked":
        raise RateLimited("Too many wrong codes; request a new one.", retry_after=60,
                          code="otp_attempts_exceeded")
    if result.outcome in ("expired", "none"):
        raise Unauthorized("The code has expired; request a new one.", code="code_expired")
    if result.outcome == "staff":
        raise Unauthorized("Staff accounts sign in with a password.", code="password_required")
    return _token(deps, result.user)


async def _check_code(uow: UnitOfWork, deps: Deps, phone: str, code: str) -> _SignIn:
    now = deps.clock.now()
    await repo.lock_phone(uow.conn, phone)
    row = await repo.latest_otp(uow.conn, phone)
    stored = None if row is None else StoredOtp(
        id=row["id"], code_hash=row["code_hash"], expires_at=row["expires_at"],
        attempts=row["attempts"], used=row["used_at"] is not None)
    matches = stored is not None and deps.ciphers.otp_hash(phone, code) == stored.code_hash
    outcome = judge_otp(stored, matches=matches, now=now,
                        max_attempts=deps.settings.otp_max_attempts)
    if outcome == "wrong":
        assert stored is not None
        attempts = await repo.count_otp_attempt(uow.conn, stored.id)
        return _SignIn("wrong", attempts_left=max(0, deps.settings.otp_max_attempts - attempts))
    if outcome != "ok":
        return _SignIn(outcome)
    assert stored is not None
    user = await repo.user_by_phone(uow.conn, phone)
    if user is not None and user["role"] != "trainee":
        return _SignIn("staff")
    await repo.use_otp(uow.conn, stored.id, now)
    if user is None:
        await repo.insert_user(uow.conn, role="trainee", phone=phone, name="", now=now)
        user = await repo.user_by_phone(uow.conn, phone)
        log.info("trainee_signed_up", user_id=str(user["id"]) if user else None)
    elif user["claimed_at"] is None:
        await repo.claim_user(uow.conn, user["id"], now)
        log.info("imported_account_claimed", user_id=str(user["id"]))
    return _SignIn("ok", user=user)


def _token(deps: Deps, user: Any) -> TokenOut:
    if user["disabled_at"] is not None:
        raise Forbidden("This account is disabled.", code="account_disabled")
    if user["must_change_password"]:
        raise Forbidden("Choose a new password first (POST /api/v1/auth/password).",
                        code="password_change_required")
    return token_for(deps, user)


def token_for(deps: Deps, user: Any) -> TokenOut:
    """Mint the user's access token at their current token version."""
    s = deps.settings
    ttl = s.trainee_token_ttl_s if user["role"] == "trainee" else s.staff_token_ttl_s
    token = deps.issuer.mint(user["id"], user["role"], name=user["name"], ttl_s=ttl,
                             version=user["token_version"])
    return TokenOut(access_token=token, expires_in=ttl,
                    user=UserRef(id=user["id"], role=user["role"], name=user["name"]))


async def get_profile(*, deps: Deps, actor: Principal) -> ProfileOut:
    """Return the caller's profile."""
    out = await views.profile(deps.pool, actor.user_id)
    if out is None:
        raise Unauthorized("Your account no longer exists; sign in again.", code="unknown_user")
    return out


async def update_profile(cmd: UpdateProfile, *, deps: Deps, actor: Principal) -> ProfileOut:
    """Change the caller's profile; an ID number is checked, encrypted and kept masked."""
    changes: dict[str, Any] = {k: getattr(cmd, k) for k in cmd.model_fields_set}
    changes = {k: v for k, v in changes.items()
               if v is not None or k in ("email", "employer")}
    reason = changes.pop("change_reason", None)
    number = changes.pop("id_number", None)
    cleaned = None
    if number is not None:
        cleaned = normalise_id_number(cmd.id_type or "other", number)
        changes.update(id_number_encrypted=deps.ciphers.seal(cleaned),
                       id_number_masked=mask_id_number(cleaned))
    elif "id_type" in changes:
        changes.pop("id_type")  # the type alone changes nothing without its number

    # Reads `changes`, never changes it: a deadlock runs it again from the start.
    async def work(uow: UnitOfWork) -> None:
        before = await repo.user_by_id(uow.conn, actor.user_id)
        await repo.update_profile(uow.conn, actor.user_id, changes, deps.clock.now())
        if before is not None:
            old = before["id_number_encrypted"]
            await identity_changes.record_identity_change(
                uow, dict(before), changes, actor=actor, reason=reason, now=deps.clock.now(),
                old_number=deps.ciphers.open(old) if old else None, new_number=cleaned)

    await in_transaction(deps.uows, work)
    return await get_profile(deps=deps, actor=actor)


async def create_user(cmd: CreateUser, *, deps: Deps) -> UUID:
    """Create a trainer or administrator with a password."""
    phone = normalise_phone(cmd.phone)
    check_password_strength(cmd.password)
    password_hash = await deps.passwords.hash(cmd.password)

    async def work(uow: UnitOfWork) -> UUID:
        user_id = await repo.insert_user(uow.conn, role=cmd.role, phone=phone, name=cmd.name,
                                         now=deps.clock.now(), password_hash=password_hash)
        if user_id is None:
            raise Conflict("An account with this phone number exists.", code="phone_taken")
        return user_id

    user_id = await in_transaction(deps.uows, work)
    log.info("staff_user_created", user_id=str(user_id), role=cmd.role)
    return user_id


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A staff account as `ensure_staff_user` found or made it."""

    id: UUID
    role: str
    created: bool
    password_works: bool


async def ensure_staff_user(
    role: str, phone: str, name: str, password: str, *, deps: Deps
) -> StaffAccount:
    """Create a staff account unless the phone has one; an existing account is never changed
    (demo seeding must not reset anybody's password or role)."""
    async with deps.pool.acquire() as conn:
        user = await repo.user_by_phone(conn, phone)
    if user is None:
        password_hash = await deps.passwords.hash(password)

        async def work(uow: UnitOfWork) -> UUID | None:
            return await repo.insert_user(uow.conn, role=role, phone=phone, name=name,
                                          now=deps.clock.now(), password_hash=password_hash)

        if (user_id := await in_transaction(deps.uows, work)) is not None:
            log.info("staff_user_created", user_id=str(user_id), role=role)
            return StaffAccount(user_id, role, created=True, password_works=True)
        async with deps.pool.acquire() as conn:  # created meanwhile by someone else
            user = await repo.user_by_phone(conn, phone)
        assert user is not None
    works = await deps.passwords.verify(user["password_hash"], password)
    return StaffAccount(user["id"], user["role"], created=False, password_works=works.matched)


async def require_user(user_id: UUID, *, deps: Deps) -> None:
    """Refuse when a user does not exist."""
    if await views.profile(deps.pool, user_id) is None:
        raise NotFound("There is no such user.", code="user_not_found")
