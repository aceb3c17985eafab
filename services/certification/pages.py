"""The public verification page (server-rendered, no JavaScript): what the QR code opens."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from services.certification.api.base import limit_rate
from services.certification.domain.levels import level_name, title_of
from services.certification.domain.public import reason_label
from services.certification.handlers import public
from services.certification.keys import DEPS, NUMBER_LIMITER, PROXIES, SETTINGS, TEMPLATES
from services.certification.rendering.dates import long_date
from services.certification.views.models import VerifyOut
from shared.errors import NotFound, ValidationFailed

TEXTS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "证书查验", "switch": "English", "placeholder": "证书编号或查验码",
        "name": "持证人姓名（按证书编号查询时必填）",
        "check": "查验", "not_found": "未找到该证书，请核对编号、姓名或查验码。",
        "name_required": "按证书编号查询时，请同时输入持证人姓名。",
        "statuses": {"valid": "有效", "revoked": "已撤销", "suspended": "已暂停",
                     "expired": "已过期"},
        "reason_sep": "：",
        "replaced": "已补发新证书：", "kind": "证书类别", "number": "证书编号",
        "holder": "持证人", "id_number": "证件号码", "occupation": "职业（工种）",
        "brackets": ("（", "）"),
        "level": "职业技能等级", "course": "培训课程", "hours": "培训学时",
        "issued_on": "发证日期", "expires_on": "有效期至", "issuer": "发证机构",
        "privacy": "为保护个人信息，姓名和证件号码已部分隐去。",
    },
    "en": {
        "title": "Certificate check", "switch": "中文", "placeholder": "Certificate number or code",
        "name": "Holder's full name (needed with a certificate number)",
        "check": "Check", "not_found": "No certificate found; check the number, name or code.",
        "name_required": "A certificate number is checked together with the holder's name.",
        "statuses": {"valid": "Valid", "revoked": "Revoked", "suspended": "Suspended",
                     "expired": "Expired"},
        "reason_sep": ": ",
        "replaced": "Reissued as ", "kind": "Certificate", "number": "Number",
        "holder": "Holder", "id_number": "ID number", "occupation": "Occupation (type of work)",
        "brackets": (" (", ")"),
        "level": "Skill level", "course": "Course", "hours": "Hours",
        "issued_on": "Issued on", "expires_on": "Valid until", "issuer": "Issued by",
        "privacy": "Names and ID numbers are partly hidden to protect personal data.",
    },
}


def _day(day: date | None, *, en: bool) -> str:
    return long_date(day, en=en) if day else "—"


def _switch_url(path: str, query: str, en: bool) -> str:
    params = {"q": query} if query and path == "/verify" else {}
    if not en:
        params["lang"] = "en"
    return f"{quote(path)}?{urlencode(params)}" if params else quote(path)


async def _find(request: web.Request, query: str, name: str | None) -> VerifyOut:
    deps = request.app[DEPS]
    if name is None or not public.is_number(query):
        return await public.lookup_code(deps, query)
    request.app[NUMBER_LIMITER].take(request.app[PROXIES].client_of(request))
    return await public.lookup_number(deps, query, name)


async def _page(request: web.Request, query: str, *, en: bool,
                name: str | None = None) -> web.Response:
    app = request.app
    limit_rate(request)
    context: dict[str, Any] = {"en": en, "t": TEXTS["en" if en else "zh"], "query": query,
                               "long_date": partial(_day, en=en),
                               "switch_url": _switch_url(request.path, query, en),
                               "cert": None, "not_found": False, "name_required": False}
    status = 200
    if query:
        try:
            found = await _find(request, query, name)
        except NotFound:
            context["not_found"], status = True, 404
        except ValidationFailed:
            context["name_required"], status = True, 422
        else:
            cert = found.model_dump()
            # The API writes "--" for no work type, as the certificate does in its own field;
            # beside the occupation it would read "礼仪培训（--）", so the page leaves it out.
            cert["work_type"] = None if found.work_type in (None, "--") else found.work_type
            if en:
                cert["title"] = title_of(found.kind or "training", locale="en")
                cert["level_name"] = level_name(found.level, locale="en")
                cert["reason"] = reason_label(found.reason_code, en=True)  # type: ignore[arg-type]
            context["cert"] = cert
    html = app[TEMPLATES].get_template("verify.html.j2").render(context)
    # Only a code's page is cached publicly: a number's answer depends on the name posted.
    cached = status == 200 and request.method == "GET"
    max_age = app[SETTINGS].verify_cache_max_age_s if cached else 0
    return web.Response(text=html, status=status, content_type="text/html", headers={
        "Cache-Control": f"public, max-age={max_age}" if cached else "no-store",
        # The look comes from the web front's stylesheet on the same origin (/assets/app.css).
        "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                                   "form-action 'self'; frame-ancestors 'none'",
    })


async def verify_form(request: web.Request) -> web.Response:
    """Show the form; with ?q=<code> show the certificate as well."""
    en = request.query.get("lang") == "en"
    return await _page(request, request.query.get("q", "").strip()[:40], en=en)


async def verify_posted_form(request: web.Request) -> web.Response:
    """Show a certificate by number and holder's name (posted: names stay out of URLs)."""
    form = await request.post()
    query, name = str(form.get("q", "")).strip()[:40], str(form.get("name", "")).strip()[:100]
    return await _page(request, query, en=form.get("lang") == "en", name=name)


async def verify_code(request: web.Request) -> web.Response:
    """Show a certificate by the code in the URL: the QR code's target."""
    en = request.query.get("lang") == "en"
    return await _page(request, request.match_info["code"][:40], en=en)


def add_pages(app: web.Application) -> None:
    """Register the public HTML pages."""
    app.router.add_get("/verify", verify_form)
    app.router.add_post("/verify", verify_posted_form)
    app.router.add_get("/verify/{code}", verify_code)
