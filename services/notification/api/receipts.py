"""Delivery receipts the SMS providers post back."""

from __future__ import annotations

import hmac

from aiohttp import web

from services.notification.api.base import ReceiptQuery, deps, routes
from services.notification.commands import RecordReceipts
from services.notification.handlers import receipts
from services.notification.keys import RECEIPT_TOKEN
from services.notification.providers import aliyun, tencent
from services.notification.views.models import AliyunAck, TencentAck
from shared.errors import Unauthorized
from shared.web.api import ApiRequest


def _check_receipt_token(request: web.Request) -> None:
    """Refuse a callback without the configured token, before its body is read."""
    expected = request.app[RECEIPT_TOKEN]
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (and a lone
    # surrogate from a malformed escape must not raise either).
    given = request.query.get("token", "").encode("utf-8", "surrogatepass")
    if expected and not hmac.compare_digest(given, expected.encode()):
        raise Unauthorized("receipt token missing or wrong", code="receipt_token_invalid")


@routes.post("/api/v1/receipts/aliyun", body=aliyun.AliyunReports, query=ReceiptQuery,
             response=AliyunAck, tags=("receipts",), guard=_check_receipt_token)
async def aliyun_receipts(req: ApiRequest[aliyun.AliyunReports, ReceiptQuery]) -> AliyunAck:
    """Take Aliyun delivery reports (JSON array); reply {"code":0}."""
    cmd = RecordReceipts(provider=aliyun.NAME, receipts=aliyun.receipts(req.body))
    await receipts.record_receipts(cmd, deps=deps(req))
    return AliyunAck()


@routes.post("/api/v1/receipts/tencent", body=tencent.TencentReports, query=ReceiptQuery,
             response=TencentAck, tags=("receipts",), guard=_check_receipt_token)
async def tencent_receipts(req: ApiRequest[tencent.TencentReports, ReceiptQuery]) -> TencentAck:
    """Take Tencent delivery reports (JSON array); reply {"result":0}."""
    cmd = RecordReceipts(provider=tencent.NAME, receipts=tencent.receipts(req.body))
    await receipts.record_receipts(cmd, deps=deps(req))
    return TencentAck()
