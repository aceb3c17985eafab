"""Tencent Cloud SMS SendSms (API 3.0, version 2021-01-11) signed with TC3-HMAC-SHA256."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal
from urllib.parse import urlsplit

import aiohttp
from pydantic import BaseModel, ConfigDict, RootModel

from services.notification.commands import Receipt
from services.notification.providers.base import (
    Outcome,
    SendResult,
    SmsMessage,
    template_code,
)
from services.notification.providers.http import post

NAME = "tencent"
CST = timezone(timedelta(hours=8))
SERVICE = "sms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
# SendSms error codes (cloud.tencent.com/document/api/382/55981, 错误码), by meaning for us.
_RATE_LIMITED_PREFIXES = (
    "LimitExceeded.PhoneNumberCountLimit",
    "LimitExceeded.PhoneNumberDailyLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.PhoneNumberSameContentDailyLimit",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.DeliveryFrequencyLimit",
)
_INVALID_RECIPIENT = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
        "UnsupportedOperation.UnsupportedRegion",
    }
)
_TRANSIENT = frozenset(
    {
        "InternalError",
        "InternalError.OtherError",
        "InternalError.SendAndRecvFail",
        "InternalError.RestApiInterfaceNotExist",
        "RequestLimitExceeded",
        "ResourceUnavailable",
        "ServiceUnavailable",
    }
)
# The provider may have handed the message on before giving up: treat as not known.
_AMBIGUOUS = frozenset({"InternalError.Timeout"})


def tc3_signature(
    *, secret_key: str, date: str, service: str, string_to_sign: str
) -> str:
    """Return hex(HMAC-SHA256) with the TC3 key derived from date, service and 'tc3_request'."""

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    signing_key = mac(mac(mac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_request(*, host: str, payload: bytes, content_type: str = CONTENT_TYPE) -> str:
    """Return the canonical POST request over content-type and host."""
    return "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int
) -> str:
    """Return the Authorization header value for one request."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    digest = hashlib.sha256(canonical_request(host=host, payload=payload).encode()).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{digest}"
    signature = tc3_signature(
        secret_key=secret_key, date=date, service=SERVICE, string_to_sign=to_sign
    )
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentSms:
    """Send through Tencent Cloud; our ledger id travels as SessionContext."""

    name = NAME

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        endpoint: str,
        secret_id: str,
        secret_key: str,
        region: str,
        sdk_app_id: str,
        sign_name: str,
        templates: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> None:
        self._session, self._endpoint, self._timeout = session, endpoint, timeout
        self._host = urlsplit(endpoint).netloc
        self._id, self._key, self._region = secret_id, secret_key, region
        self._app, self._sign_name, self._templates = sdk_app_id, sign_name, dict(templates)

    def request(self, message: SmsMessage, template: str) -> tuple[bytes, dict[str, str]]:
        """Return the signed body and headers of a SendSms call."""
        payload = json.dumps(
            {
                "PhoneNumberSet": [message.phone],
                "SmsSdkAppId": self._app,
                "SignName": self._sign_name,
                "TemplateId": template,
                "TemplateParamSet": [value for _name, value in message.params],
                "SessionContext": message.id.hex,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(time.time())
        headers = {
            "Authorization": authorization(
                secret_id=self._id, secret_key=self._key, host=self._host, payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": self._host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": self._region,
        }
        return payload, headers

    async def send(self, message: SmsMessage) -> SendResult:
        """Call SendSms once and classify the answer."""
        template = template_code(self._templates, message.event_type, message.locale)
        if template is None:
            return SendResult(Outcome.REJECTED, NAME, code="template_not_configured")
        payload, headers = self.request(message, template)
        answer = await post(
            self._session, self._endpoint, provider=NAME, client_timeout=self._timeout,
            data=payload, headers=headers,
        )
        if isinstance(answer, SendResult):
            return answer
        return classify(*answer)


def classify(status: int, raw: bytes) -> SendResult:
    """Map a SendSms answer (request-level Error or per-number SendStatus) to an outcome."""
    try:
        response = json.loads(raw)["Response"]
    except (ValueError, KeyError, TypeError):
        outcome = Outcome.TRANSIENT if status in (429, 502, 503) else Outcome.UNKNOWN
        return SendResult(outcome, NAME, code=f"http_{status}")
    error = response.get("Error")
    if error:
        return _by_code(str(error.get("Code", "")), str(error.get("Message", "")))
    statuses = response.get("SendStatusSet") or []
    if not statuses:
        return SendResult(Outcome.UNKNOWN, NAME, code="no_status")
    first = statuses[0]
    code = str(first.get("Code", ""))
    if code == "Ok":
        return SendResult(Outcome.ACCEPTED, NAME, provider_message_id=str(first.get("SerialNo")))
    return _by_code(code, str(first.get("Message", "")))


def _by_code(code: str, detail: str) -> SendResult:
    if code.startswith(_RATE_LIMITED_PREFIXES):
        return SendResult(Outcome.RATE_LIMITED, NAME, code=code, detail=detail)
    if code in _INVALID_RECIPIENT:
        return SendResult(Outcome.INVALID_RECIPIENT, NAME, code=code, detail=detail)
    if code in _AMBIGUOUS:
        return SendResult(Outcome.UNKNOWN, NAME, code=code, detail=detail)
    if code in _TRANSIENT:
        return SendResult(Outcome.TRANSIENT, NAME, code=code, detail=detail)
    # AuthFailure.*, FailedOperation.* (balance, signature, template), app-wide LimitExceeded.*
    return SendResult(Outcome.REJECTED, NAME, code=code, detail=detail)


class TencentReport(BaseModel):
    """One entry of Tencent's SMS status callback."""

    model_config = ConfigDict(extra="ignore")

    user_receive_time: str | None = None
    nationcode: str = "86"
    mobile: str
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: str = ""
    description: str = ""
    sid: str


TencentReports = RootModel[list[TencentReport]]


def receipts(reports: TencentReports) -> list[Receipt]:
    """Normalise Tencent's reports (matched by SerialNo = sid, else by number)."""
    result = []
    for r in reports.root:
        delivered = r.report_status == "SUCCESS"
        at = None
        if r.user_receive_time:
            with contextlib.suppress(ValueError):
                at = datetime.strptime(r.user_receive_time, "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=CST
                )
        result.append(
            Receipt(provider=NAME, key=f"{r.sid}:{r.report_status}:{r.errmsg}",
                    delivered=delivered, code=r.errmsg, provider_message_id=r.sid,
                    phone=f"+{r.nationcode}{r.mobile}", at=at, payload=r.model_dump())
        )
    return result
