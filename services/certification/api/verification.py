"""The public's endpoints (no login): verification, the DID document, status lists."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web
from pydantic import Field

from services.certification.api.base import PUBLIC, limit_rate, routes
from services.certification.commands import Body, NumberLookupBody
from services.certification.handlers import public
from services.certification.keys import DEPS, NUMBER_LIMITER, PROXIES, SETTINGS
from services.certification.views.models import VerifyOut
from shared.web.api import ApiRequest


class VerifyBody(Body):
    """A credential as GET /credential returns it (or just its `credential` string)."""

    credential: str | dict[str, Any] = Field(description="the vc+jwt string or the whole object")


def cacheable(req: ApiRequest[Any, Any], body: bytes, content_type: str) -> web.Response:
    """Answer with a short public cache lifetime and an ETag (304 when it still matches)."""
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    max_age = req.app[SETTINGS].verify_cache_max_age_s
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"}
    if etag in (req.header("If-None-Match") or ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, headers=headers)


@routes.get("/api/v1/verify/{code}", response=VerifyOut, tags=PUBLIC, extra_statuses=(404,))
async def verify(req: ApiRequest[None, None]) -> web.Response:
    """Check a certificate by its verification code: status and masked holder data.

    A certificate number here gets 422 `holder_name_required`: numbers are looked up by
    POST /api/v1/verify/number together with the holder's name.
    """
    limit_rate(req.request)
    out = await public.lookup_code(req.app[DEPS], req.path("code"))
    return cacheable(req, out.model_dump_json().encode(), "application/json")


@routes.post("/api/v1/verify/number", body=NumberLookupBody, response=VerifyOut, tags=PUBLIC,
             extra_statuses=(404,))
async def verify_number(req: ApiRequest[NumberLookupBody, None]) -> web.Response:
    """Check a certificate by number and the holder's full name (404 for any mismatch)."""
    limit_rate(req.request)
    req.app[NUMBER_LIMITER].take(req.app[PROXIES].client_of(req.request))
    out = await public.lookup_number(req.app[DEPS], req.body.number, req.body.name)
    return web.Response(body=out.model_dump_json().encode(), content_type="application/json",
                        headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/verify", body=VerifyBody, response=VerifyOut, tags=PUBLIC)
async def verify_credential(req: ApiRequest[VerifyBody, None]) -> VerifyOut:
    """Check a credential's signature and its current status."""
    limit_rate(req.request)
    return await public.verify_posted(req.app[DEPS], req.body.credential)


@routes.get("/.well-known/did.json", tags=PUBLIC)
async def did_document(req: ApiRequest[None, None]) -> web.Response:
    """Publish the issuer's DID document (every key, retired ones included)."""
    document = await public.published_document(req.app[DEPS])
    return cacheable(req, json.dumps(document).encode(), "application/json")


@routes.get("/api/v1/status-lists/{list_id}", tags=PUBLIC, content_types=("application/vc+jwt",))
async def status_list(req: ApiRequest[None, None]) -> web.Response:
    """Publish a Bitstring Status List credential, signed as a VC-JWT valid for a day."""
    token = await public.status_list(req.app[DEPS], req.path("list_id"))
    return cacheable(req, token.encode(), "application/vc+jwt")
