"""Aliyun SendSms (dysmsapi 2017-05-25) over HTTP with the RPC signature (v1, HMAC-SHA1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, urlencode

import aiohttp
from pydantic import BaseModel, ConfigDict, RootModel

from services.notification.commands import Receipt
from services.notification.domain.contacts import national_digits
from services.notification.providers.base import (
    Lookup,
    LookupResult,
    Outcome,
    SendResult,
    SmsMessage,
    template_code,
)
from services.notification.providers.http import post

NAME = "aliyun"
CST = timezone(timedelta(hours=8))
# Error codes of SendSms (help.aliyun.com "API错误码"), grouped by what they mean for us.
_RATE_LIMITED = frozenset({"isv.BUSINESS_LIMIT_CONTROL"})
_INVALID_RECIPIENT = frozenset(
    {"isv.MOBILE_NUMBER_ILLEGAL", "isv.DOMESTIC_NUMBER_NOT_SUPPORTED"}
)
_TRANSIENT = frozenset({"isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "ServiceUnavailable",
                        "InternalError", "Throttling", "Throttling.User", "Throttling.Api",
                        "SignatureNonceUsed"})


def percent_encode(value: str) -> str:
    """Encode as the RPC signature wants: RFC 3986, space as %20, '~' kept."""
    return quote(value, safe="~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """Return METHOD&%2F&encode(sorted, encoded query) per the Aliyun RPC signature v1."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Return base64(HMAC-SHA1(secret + '&', string_to_sign))."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Send through Aliyun; our ledger id travels as OutId and comes back in receipts."""

    name = NAME

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        region: str,
        sign_name: str,
        templates: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> None:
        self._session, self._endpoint, self._timeout = session, endpoint, timeout
        self._key_id, self._secret, self._region = access_key_id, access_key_secret, region
        self._sign_name, self._templates = sign_name, dict(templates)

    def sign(self, action: str, **values: str) -> dict[str, str]:
        """Return an action's parameters with the common ones and their Signature."""
        params = {
            "AccessKeyId": self._key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self._region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **values,
        }
        params["Signature"] = rpc_signature("POST", params, self._secret)
        return params

    def signed_params(self, message: SmsMessage, code: str) -> dict[str, str]:
        """Return the SendSms parameters including their Signature."""
        return self.sign(
            "SendSms",
            PhoneNumbers=national_digits(message.phone),
            SignName=self._sign_name,
            TemplateCode=code,
            TemplateParam=json.dumps(dict(message.params), ensure_ascii=False),
            OutId=message.id.hex,
        )

    async def look_up(self, *, id: uuid.UUID, phone: str, sent_at: datetime) -> LookupResult:
        """Ask QuerySendDetails what became of the message with our OutId that day."""
        params = self.sign(
            "QuerySendDetails", PhoneNumber=national_digits(phone),
            SendDate=sent_at.astimezone(CST).strftime("%Y%m%d"), PageSize="50", CurrentPage="1",
        )
        answer = await post(
            self._session, self._endpoint, provider=NAME, client_timeout=self._timeout,
            data=urlencode(params, quote_via=quote).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        if isinstance(answer, SendResult):
            return LookupResult(Lookup.ERROR, answer.code)
        return read_details(id, *answer)

    async def send(self, message: SmsMessage) -> SendResult:
        """Call SendSms once and classify the answer."""
        code = template_code(self._templates, message.event_type, message.locale)
        if code is None:
            return SendResult(Outcome.REJECTED, NAME, code="template_not_configured")
        body = urlencode(self.signed_params(message, code), quote_via=quote).encode()
        answer = await post(
            self._session, self._endpoint, provider=NAME, client_timeout=self._timeout, data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        if isinstance(answer, SendResult):
            return answer
        return classify(*answer)


def classify(status: int, raw: bytes) -> SendResult:
    """Map an HTTP answer of SendSms to an outcome (a 5xx without a code may have been taken)."""
    try:
        data = json.loads(raw)
        code = str(data.get("Code", ""))
        detail = str(data.get("Message", ""))
    except (ValueError, AttributeError):
        data, code, detail = {}, "", raw[:200].decode("utf-8", "replace")
    if status == 200 and code == "OK":
        return SendResult(Outcome.ACCEPTED, NAME, provider_message_id=str(data.get("BizId", "")))
    if code in _RATE_LIMITED:
        return SendResult(Outcome.RATE_LIMITED, NAME, code=code, detail=detail)
    if code in _INVALID_RECIPIENT:
        return SendResult(Outcome.INVALID_RECIPIENT, NAME, code=code, detail=detail)
    if code in _TRANSIENT or (not code and status in (429, 502, 503)):
        return SendResult(Outcome.TRANSIENT, NAME, code=code or f"http_{status}", detail=detail)
    if code:
        # Signature, template, balance, permission or daily-quota errors: this provider refused.
        return SendResult(Outcome.REJECTED, NAME, code=code, detail=detail)
    return SendResult(Outcome.UNKNOWN, NAME, code=f"http_{status}", detail=detail)


def read_details(id: uuid.UUID, status: int, raw: bytes) -> LookupResult:
    """Find our OutId among QuerySendDetails records (SendStatus 1 waiting, 2 failed, 3 ok)."""
    try:
        data = json.loads(raw)
        records = data["SmsSendDetailDTOs"]["SmsSendDetailDTO"] if data["Code"] == "OK" else None
    except (ValueError, KeyError, TypeError):
        records = None
    if status != 200 or records is None:
        return LookupResult(Lookup.ERROR, f"http_{status}")
    for record in records:
        if str(record.get("OutId", "")) == id.hex:
            state = {3: Lookup.DELIVERED, 2: Lookup.FAILED}.get(
                int(record.get("SendStatus", 1)), Lookup.PENDING
            )
            return LookupResult(state, str(record.get("ErrCode", "")))
    return LookupResult(Lookup.NOT_FOUND)


class AliyunReport(BaseModel):
    """One SmsReport entry of Aliyun's HTTP batch push."""

    model_config = ConfigDict(extra="ignore")

    phone_number: str | None = None
    send_time: str | None = None
    report_time: str | None = None
    success: bool
    err_code: str = ""
    err_msg: str = ""
    sms_size: str | None = None
    biz_id: str | None = None
    out_id: str | None = None


AliyunReports = RootModel[list[AliyunReport]]


def receipts(reports: AliyunReports) -> list[Receipt]:
    """Normalise Aliyun's reports (the OutId we sent is our ledger id)."""
    result = []
    for r in reports.root:
        out_id = _uuid_text(r.out_id)
        key = f"{r.biz_id or r.out_id}:{'ok' if r.success else r.err_code}"
        phone = f"+86{r.phone_number}" if r.phone_number and r.phone_number.isdigit() else None
        result.append(
            Receipt(provider=NAME, key=key, delivered=r.success, code=r.err_code, out_id=out_id,
                    provider_message_id=r.biz_id, phone=phone, at=_cst(r.report_time),
                    payload=r.model_dump())
        )
    return result


def _uuid_text(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def _cst(text: str | None) -> datetime | None:
    # Report times are Beijing wall-clock times.
    try:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
    except ValueError:
        return None
