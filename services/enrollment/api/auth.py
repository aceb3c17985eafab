"""Sign-in, profile and staff accounts."""

from __future__ import annotations

from services.enrollment.api.base import ADMIN, ANYONE, deps, routes
from services.enrollment.commands import (
    ChangePassword,
    ChangeRole,
    CreateUser,
    IssueToken,
    RequestOtp,
    ResetPassword,
    UpdateProfile,
    UpdateUser,
)
from services.enrollment.handlers import accounts, identity, identity_changes
from services.enrollment.views import users as views
from services.enrollment.views.models import (
    ConfirmedOut,
    CreatedOut,
    IdentityChangeList,
    IdentityChangeQuery,
    OtpOut,
    ProfileOut,
    TokenOut,
    UserList,
    UserOut,
    UserQuery,
)
from shared.web.api import ApiRequest

TAGS = ("identity",)


@routes.post("/api/v1/auth/otp", body=RequestOtp, response=OtpOut, status=202, tags=TAGS,
             extra_statuses=(422, 429))
async def request_otp(req: ApiRequest[RequestOtp, None]) -> OtpOut:
    """Send a six-digit sign-in code to a mobile number (limited per number, client and minute).

    Only to mobile numbers of the allowed regions (mainland China unless configured; else 422
    phone_region_not_allowed). Per number 1/min, 5/h and 10/day; per client address, per block
    of numbers an hour and for everybody per minute as configured. Refusals are 429 with
    Retry-After."""
    services = deps(req)
    client = services.proxies.client_of(req.request)
    return await identity.request_otp(req.body, deps=services, client=client)


@routes.post("/api/v1/auth/token", body=IssueToken, response=TokenOut, tags=TAGS,
             extra_statuses=(401, 429, 503))
async def issue_token(req: ApiRequest[IssueToken, None]) -> TokenOut:
    """Sign in with {phone, code} (trainees) or {phone, password} (trainers, administrators).

    A password sign-in while the service checks as many passwords as it may at once is 503
    password_check_busy with Retry-After."""
    services = deps(req)
    client = services.proxies.client_of(req.request)
    return await identity.issue_token(req.body, deps=services, client=client)


@routes.get("/api/v1/me", response=ProfileOut, roles=ANYONE, tags=TAGS)
async def get_me(req: ApiRequest[None, None]) -> ProfileOut:
    """Return the caller's profile (ID number masked)."""
    return await identity.get_profile(deps=deps(req), actor=req.user)


@routes.patch("/api/v1/me", body=UpdateProfile, response=ProfileOut, roles=ANYONE, tags=TAGS)
async def update_me(req: ApiRequest[UpdateProfile, None]) -> ProfileOut:
    """Change the caller's name, email, language, employer or ID (not union membership)."""
    return await identity.update_profile(req.body, deps=deps(req), actor=req.user)


@routes.get("/api/v1/users", query=UserQuery, response=UserList, roles=ADMIN, tags=TAGS)
async def list_users(req: ApiRequest[None, UserQuery]) -> UserList:
    """List users by role or by name / phone digits (phones masked)."""
    return await views.list_users(deps(req).pool, req.query)


@routes.post("/api/v1/users", body=CreateUser, response=CreatedOut, status=201, roles=ADMIN,
             tags=TAGS, extra_statuses=(409, 503))
async def create_user(req: ApiRequest[CreateUser, None]) -> CreatedOut:
    """Create a trainer or administrator account with a password."""
    return CreatedOut(id=await identity.create_user(req.body, deps=deps(req)))


@routes.patch("/api/v1/users/{user_id}", body=UpdateUser, response=UserOut, roles=ADMIN,
              tags=TAGS, extra_statuses=(404, 409))
async def update_user(req: ApiRequest[UpdateUser, None]) -> UserOut:
    """Record a user's trade union membership (it opens union-only classes) and/or staff role
    (as PUT /users/{id}/role: the user's older tokens end)."""
    return await accounts.update_user(req.path_uuid("user_id"), req.body, deps=deps(req),
                                      actor=req.user)


@routes.get("/api/v1/identity-changes", query=IdentityChangeQuery, response=IdentityChangeList,
            roles=ADMIN, tags=TAGS)
async def list_identity_changes(req: ApiRequest[None, IdentityChangeQuery]) -> IdentityChangeList:
    """List enrolled trainees' name/ID changes (who, when, why); unconfirmed ones by default."""
    return await identity_changes.list_identity_changes(
        deps(req), unconfirmed_only=req.query.unconfirmed)


@routes.post("/api/v1/users/{user_id}/identity-changes/confirm", response=ConfirmedOut,
             roles=ADMIN, tags=TAGS, extra_statuses=(404,))
async def confirm_identity_changes(req: ApiRequest[None, None]) -> ConfirmedOut:
    """Confirm a trainee's name/ID changes: their certificates may be approved again."""
    count = await identity_changes.confirm_identity_changes(
        req.path_uuid("user_id"), deps=deps(req), actor=req.user)
    return ConfirmedOut(confirmed=count)


@routes.post("/api/v1/auth/password", body=ChangePassword, response=TokenOut, tags=TAGS,
             extra_statuses=(401, 403, 422, 429, 503))
async def change_password(req: ApiRequest[ChangePassword, None]) -> TokenOut:
    """Replace one's own password with {phone, password, new_password} (staff; also after an
    administrator's reset). Every older token of the user ends; the answer signs in anew."""
    services = deps(req)
    client = services.proxies.client_of(req.request)
    return await accounts.change_password(req.body, deps=services, client=client)


@routes.post("/api/v1/users/{user_id}/disable", response=UserOut, roles=ADMIN, tags=TAGS,
             extra_statuses=(404, 409))
async def disable_user(req: ApiRequest[None, None]) -> UserOut:
    """Disable an account: it cannot sign in and its tokens are refused by every service."""
    return await accounts.set_disabled(req.path_uuid("user_id"), True, deps=deps(req),
                                       actor_id=req.user.user_id)


@routes.post("/api/v1/users/{user_id}/enable", response=UserOut, roles=ADMIN, tags=TAGS,
             extra_statuses=(404,))
async def enable_user(req: ApiRequest[None, None]) -> UserOut:
    """Enable a disabled account again (its tokens from before stay refused)."""
    return await accounts.set_disabled(req.path_uuid("user_id"), False, deps=deps(req),
                                       actor_id=req.user.user_id)


@routes.put("/api/v1/users/{user_id}/role", body=ChangeRole, response=UserOut, roles=ADMIN,
            tags=TAGS, extra_statuses=(404, 409))
async def set_user_role(req: ApiRequest[ChangeRole, None]) -> UserOut:
    """Make a staff account a trainer or an administrator; its older tokens are refused."""
    return await accounts.set_role(req.path_uuid("user_id"), req.body.role, deps=deps(req),
                                   actor_id=req.user.user_id)


@routes.post("/api/v1/users/{user_id}/password-reset", body=ResetPassword, response=UserOut,
             roles=ADMIN, tags=TAGS, extra_statuses=(404, 409, 422, 503))
async def reset_user_password(req: ApiRequest[ResetPassword, None]) -> UserOut:
    """Give a staff account a temporary password; the user must change it to sign in."""
    return await accounts.reset_password(req.path_uuid("user_id"), req.body.password,
                                         deps=deps(req), actor_id=req.user.user_id)
