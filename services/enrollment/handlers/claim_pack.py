"""The claim pack: a class's documents for the human-resources bureau, as XLSX or PDF."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from typing import IO
from uuid import UUID

from services.enrollment.commands_evidence import SetPersonCategory, SetPlans
from services.enrollment.deps import Deps
from services.enrollment.domain.claim_pack import check_request
from services.enrollment.handlers.access import class_not_found, require_class_staff_of
from services.enrollment.repository import claim_pack as repo
from services.enrollment.views.claim_pack import data
from services.enrollment.views.claim_pack.pdf import write_pdf
from services.enrollment.views.claim_pack.templates import load_templates, template
from services.enrollment.views.claim_pack.xlsx import write_xlsx
from services.enrollment.views.models.evidence import (
    PersonCategoryOut,
    PlansOut,
    TemplateOut,
    TemplatesOut,
)
from shared.auth import Principal
from shared.fonts import font_name
from shared.messaging.uow import UnitOfWork, in_transaction

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# Rendered to a temporary file that spills to disk past this size, then streamed from it.
_IN_MEMORY = 4 * 1024 * 1024


@dataclass
class Export:
    """A rendered document ready to stream: its file (at position 0), size, type and name."""

    file: IO[bytes]
    size: int
    content_type: str
    filename: str


async def export(
    class_id: UUID, document: str, fmt: str, *, template_id: str, unmasked: bool, deps: Deps,
    actor: Principal,
) -> Export:
    """Render one claim document of a class (its trainers and administrators); full ID and
    phone numbers only for an administrator who asks; every export is recorded."""
    doc = check_request(document, fmt)
    layout = template(template_id)
    full = unmasked and actor.role == "admin"

    async def work(uow: UnitOfWork) -> data.ClassFacts:
        await require_class_staff_of(uow.conn, class_id, actor)
        facts = await data.class_facts(uow.conn, class_id)
        if facts is None:
            raise class_not_found()
        await repo.record_export(uow.conn, class_id=class_id, document=doc, fmt=fmt,
                                 template=template_id, unmasked=full, actor_id=actor.user_id,
                                 actor_role=actor.role, at=deps.clock.now())
        return facts

    facts = await in_transaction(deps.uows, work)
    table = data.lay_out(facts, layout, doc, tz=deps.tz, now=deps.clock.now(),
                         disclosure=data.Disclosure(full, deps.ciphers.open))
    out = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115 - streamed, closed by the caller
    s = deps.settings
    if fmt == "xlsx":
        await asyncio.to_thread(write_xlsx, table, out)
    else:
        font = font_name(str(s.pdf_font_file), s.pdf_font_subfont_index)
        await asyncio.to_thread(write_pdf, table, out, font=font)
    size = out.tell()
    out.seek(0)
    return Export(out, size, CONTENT_TYPES[fmt], f"{doc}-{class_id}.{fmt}")


def list_templates() -> TemplatesOut:
    """Return every claim template."""
    return TemplatesOut(items=[TemplateOut(id=t.id, name=t.name, city=t.city)
                               for t in load_templates().values()])


async def get_plans(class_id: UUID, *, deps: Deps, actor: Principal) -> PlansOut:
    """Return a class's teaching and assessment plans (its trainers and administrators)."""
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
        return await data.plans(conn, class_id)


async def set_plans(class_id: UUID, cmd: SetPlans, *, deps: Deps, actor: Principal) -> None:
    """Change a class's teaching and assessment plans (its trainers and administrators)."""

    async def work(uow: UnitOfWork) -> None:
        await require_class_staff_of(uow.conn, class_id, actor)
        await repo.set_plans(uow.conn, class_id, teaching=cmd.teaching_plan,
                             assessment=cmd.assessment_plan)

    await in_transaction(deps.uows, work)


async def set_person_category(
    user_id: UUID, cmd: SetPersonCategory, *, deps: Deps
) -> None:
    """Record a trainee's person category (their own, or any user's by an administrator)."""

    async def work(uow: UnitOfWork) -> None:
        await repo.set_person_category(uow.conn, user_id, cmd.person_category)

    await in_transaction(deps.uows, work)


async def person_category_of(user_id: UUID, *, deps: Deps) -> PersonCategoryOut:
    """Return a user's person category."""
    async with deps.pool.acquire() as conn:
        return await data.person_category_of(conn, user_id)
