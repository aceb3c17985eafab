"""The claim pack for the human-resources bureau, its city templates, and what fills it."""

from __future__ import annotations

from aiohttp import web

from services.enrollment.api.base import ADMIN, ANYONE, STAFF, deps, routes
from services.enrollment.commands_evidence import SetPersonCategory, SetPlans
from services.enrollment.handlers import claim_pack
from services.enrollment.views.models.evidence import PersonCategoryOut, PlansOut, TemplatesOut
from services.enrollment.views.models.queries import ClaimPackQuery
from shared.web.api import ApiRequest

TAGS = ("evidence",)
_CHUNK = 64 * 1024


@routes.get("/api/v1/claim-templates", response=TemplatesOut, roles=STAFF, tags=TAGS)
async def list_templates(_req: ApiRequest[None, None]) -> TemplatesOut:
    """Return the claim templates (services/enrollment/claim_templates/*.yaml)."""
    return claim_pack.list_templates()


@routes.get("/api/v1/classes/{class_id}/claim-pack/{file}", query=ClaimPackQuery, roles=STAFF,
            tags=TAGS, content_types=tuple(claim_pack.CONTENT_TYPES.values()))
async def export(req: ApiRequest[None, ClaimPackQuery]) -> web.StreamResponse:
    """Stream one document of the claim pack: `{application|ledger|roster|scores|notice}.
    {xlsx|pdf}`, laid out by `template`; full ID and phone numbers only with `unmasked=true`
    from an administrator (every export is recorded)."""
    document, _, fmt = req.path("file").partition(".")
    out = await claim_pack.export(req.path_uuid("class_id"), document, fmt,
                                  template_id=req.query.template, unmasked=req.query.unmasked,
                                  deps=deps(req), actor=req.user)
    reply = web.StreamResponse(headers={
        "Content-Type": out.content_type,
        "Content-Disposition": f'attachment; filename="{out.filename}"',
        "Cache-Control": "no-store"})
    reply.content_length = out.size  # the console shows progress against it
    try:
        await reply.prepare(req.request)
        while chunk := out.file.read(_CHUNK):
            await reply.write(chunk)
    finally:
        out.file.close()
    await reply.write_eof()
    return reply


@routes.get("/api/v1/classes/{class_id}/plans", response=PlansOut, roles=STAFF, tags=TAGS)
async def get_plans(req: ApiRequest[None, None]) -> PlansOut:
    """Return the class's teaching and assessment plans."""
    return await claim_pack.get_plans(req.path_uuid("class_id"), deps=deps(req), actor=req.user)


@routes.put("/api/v1/classes/{class_id}/plans", body=SetPlans, roles=STAFF, status=204,
            tags=TAGS)
async def set_plans(req: ApiRequest[SetPlans, None]) -> None:
    """Set the class's teaching and assessment plans (printed on the application form)."""
    await claim_pack.set_plans(req.path_uuid("class_id"), req.body, deps=deps(req),
                               actor=req.user)


@routes.get("/api/v1/me/person-category", response=PersonCategoryOut, roles=ANYONE, tags=TAGS)
async def get_my_category(req: ApiRequest[None, None]) -> PersonCategoryOut:
    """Return the caller's person category."""
    return await claim_pack.person_category_of(req.user.user_id, deps=deps(req))


@routes.put("/api/v1/me/person-category", body=SetPersonCategory, roles=ANYONE, status=204,
            tags=TAGS)
async def set_my_category(req: ApiRequest[SetPersonCategory, None]) -> None:
    """Record the caller's person category (在职职工, 失业人员, 农民工, 脱贫人口, 高校毕业生)."""
    await claim_pack.set_person_category(req.user.user_id, req.body, deps=deps(req))


@routes.put("/api/v1/users/{user_id}/person-category", body=SetPersonCategory, roles=ADMIN,
            status=204, tags=TAGS)
async def set_category(req: ApiRequest[SetPersonCategory, None]) -> None:
    """Record a user's person category."""
    await claim_pack.set_person_category(req.path_uuid("user_id"), req.body, deps=deps(req))
