"""Local stand-ins for Aliyun, Tencent and an SMTP relay that check requests like the real ones.

Each fake re-implements the provider's documented signature check independently of the
service's signer, and also asks the provider's official SDK signer for the same value.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from aiohttp import web
from aiosmtpd.controller import Controller
from alibabacloud_openapi_util.client import Client as AliyunSdk
from tencentcloud.common.sign import Sign as TencentSdk

ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI-test-key", "aliyun-test-secret"
TENCENT_ID, TENCENT_KEY = "AKID-test-id", "tencent-test-key"


@dataclass
class Behaviour:
    """What the fake answers: a queue of scripted answers, then `default`."""

    script: deque[str] = field(default_factory=deque)
    default: str = "ok"
    slow_s: float = 2.0

    def next(self) -> str:
        return self.script.popleft() if self.script else self.default


@dataclass
class FakeSms:
    """Requests a fake SMS provider received, and whether each was signed correctly."""

    behaviour: Behaviour = field(default_factory=Behaviour)
    calls: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""
    queries: int = 0
    forget: bool = False  # status queries find no record of any message

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["answer"] == "ok"]


def _aliyun_expected_signature(params: dict[str, str], secret: str) -> str:
    # The documented algorithm, written out here without the service's helpers.
    def enc(text: str) -> str:
        return quote(text, safe="~")

    query = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params))
    to_sign = "POST&%2F&" + enc(query)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def aliyun_app(fake: FakeSms) -> web.Application:
    """An aiohttp app answering SendSms like dysmsapi.aliyuncs.com."""

    async def send_sms(request: web.Request) -> web.Response:
        params = dict(parse_qsl((await request.read()).decode(), keep_blank_values=True))
        signature = params.pop("Signature", "")
        ours = _aliyun_expected_signature(params, ALIYUN_SECRET)
        sdk = AliyunSdk.get_rpcsignature(params, "POST", ALIYUN_SECRET)
        if not (signature == ours == sdk) or params.get("AccessKeyId") != ALIYUN_KEY_ID:
            fake.bad_signatures += 1
            return web.json_response(
                {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, status=400
            )
        if params["Action"] == "QuerySendDetails":
            return _send_details(fake, params)
        answer = fake.behaviour.next()
        template_params = json.loads(params["TemplateParam"])
        fake.calls.append({**params, "answer": answer, "TemplateParam": template_params})
        if answer == "slow":
            await asyncio.sleep(fake.behaviour.slow_s)
            return web.json_response({"Code": "OK", "BizId": f"biz-{len(fake.calls)}"})
        if answer == "down":
            return web.json_response({"Code": "isp.SYSTEM_ERROR", "Message": "error"}, status=500)
        if answer == "limit":
            return web.json_response({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"})
        if answer == "bad_number":
            return web.json_response({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
        return web.json_response(
            {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(fake.calls)}", "RequestId": "r"}
        )

    app = web.Application()
    app.router.add_post("/", send_sms)
    return app


def _send_details(fake: FakeSms, params: dict[str, str]) -> web.Response:
    fake.queries += 1
    records = [] if fake.forget else [
        {"PhoneNum": c["PhoneNumbers"], "SendStatus": 3, "ErrCode": "DELIVERED",
         "TemplateCode": c["TemplateCode"], "OutId": c["OutId"], "SendDate": "2026-03-02 10:00:00"}
        for c in fake.calls if c["PhoneNumbers"] == params["PhoneNumber"]
    ]
    return web.json_response({"Code": "OK", "Message": "OK", "TotalCount": len(records),
                              "SmsSendDetailDTOs": {"SmsSendDetailDTO": records}})


def tencent_app(fake: FakeSms) -> web.Application:
    """An aiohttp app answering SendSms like sms.tencentcloudapi.com (API 3.0)."""

    async def send_sms(request: web.Request) -> web.Response:
        body = await request.read()
        if not _tencent_signature_ok(request, body):
            fake.bad_signatures += 1
            return web.json_response({"Response": {"Error": {
                "Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "r"}})
        payload = json.loads(body)
        answer = fake.behaviour.next()
        fake.calls.append({**payload, "answer": answer})
        if answer == "slow":
            await asyncio.sleep(fake.behaviour.slow_s)
        if answer == "down":
            return web.json_response({"Response": {"Error": {
                "Code": "InternalError.OtherError", "Message": "x"}, "RequestId": "r"}})
        serial = f"serial-{len(fake.calls)}"
        status = {"Code": "Ok", "Message": "send success", "SerialNo": serial, "Fee": 1,
                  "PhoneNumber": payload["PhoneNumberSet"][0],
                  "SessionContext": payload["SessionContext"]}
        if answer == "bad_number":
            status.update(Code="InvalidParameterValue.IncorrectPhoneNumber", SerialNo="")
        if answer.startswith("LimitExceeded."):  # a per-number limit, scripted by its code
            status.update(Code=answer, Message="limit", SerialNo="")
        return web.json_response({"Response": {"SendStatusSet": [status], "RequestId": "r"}})

    app = web.Application()
    app.router.add_post("/", send_sms)
    return app


def _tencent_signature_ok(request: web.Request, body: bytes) -> bool:
    auth = request.headers.get("Authorization", "")
    timestamp = request.headers.get("X-TC-Timestamp", "0")
    if request.headers.get("X-TC-Action") != "SendSms" or not auth.startswith("TC3-HMAC-SHA256 "):
        return False
    fields = dict(part.strip().split("=", 1) for part in auth[len("TC3-HMAC-SHA256 "):].split(","))
    secret_id, date, service, terminator = fields["Credential"].split("/")
    if secret_id != TENCENT_ID or terminator != "tc3_request" or service != "sms":
        return False
    if date != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
        return False
    signed = fields["SignedHeaders"].split(";")
    # Documented rule: header names and values lower-cased, trimmed, each line ends with \n.
    canonical_headers = "".join(f"{h}:{request.headers[h].strip().lower()}\n" for h in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, fields["SignedHeaders"],
                           hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{date}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k_date = hmac.new(("TC3" + TENCENT_KEY).encode(), date.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode(), hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    ours = hmac.new(k_signing, to_sign.encode(), hashlib.sha256).hexdigest()
    sdk = TencentSdk.sign_tc3(TENCENT_KEY, date, service, to_sign)
    return bool(fields["Signature"] == ours == sdk)


@dataclass
class SmtpCapture:
    """What the local SMTP server received; `reject` answers DATA with these codes first."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    reject: deque[int] = field(default_factory=deque)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject:
            code = self.reject.popleft()
            return f"{code} {'try again later' if code < 500 else 'rejected'}"
        self.messages.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content}
        )
        return "250 OK"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_smtp(capture: SmtpCapture) -> Controller:
    """Start aiosmtpd in its own thread on a free port."""
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller
