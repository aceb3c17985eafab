"""Pure rules: phone checks, quiet hours, scheduling, breaker, provider error classes, signing."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from datetime import UTC, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import phonenumbers
from alibabacloud_openapi_util.client import Client as AliyunSdk
from tencentcloud.common.sign import Sign as TencentSdk

from services.notification.domain.contacts import check_mobile, normalise_email
from services.notification.domain.model import RecentSends, Status
from services.notification.domain.rules import Limits, QuietHours, quiet_release, schedule_sms
from services.notification.providers import aliyun, tencent
from services.notification.providers.base import Outcome
from services.notification.providers.breaker import CircuitBreaker

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTHING_RECENT = RecentSends(None, 0, 0, 0, 0, None)
LIMITS = Limits(otp_per_minute=1, otp_per_hour=5, otp_per_day=10, same_template_per_day=10,
                same_content_window_s=30)


def test_only_valid_mobile_numbers_get_sms() -> None:
    assert check_mobile("13800138000").e164 == "+8613800138000"
    assert check_mobile("１３８００１３８０００").e164 == "+8613800138000"  # full-width digits
    assert check_mobile("+86 10 1234 5678").problem == "not_mobile"  # Beijing landline
    assert check_mobile("1380013800").problem == "invalid_number"
    assert check_mobile("call me").problem == "malformed_number"
    assert normalise_email("Zhang@Example.COM") == "Zhang@example.com"
    assert normalise_email("not-an-address") is None


def _reference_check(raw: str) -> tuple[str | None, str | None]:
    """check_mobile as phonenumbers alone answers it (parse, is_valid_number, number_type)."""
    try:
        number = phonenumbers.parse(unicodedata.normalize("NFKC", raw).strip(), "CN")
    except phonenumbers.NumberParseException:
        return None, "malformed_number"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid_number"
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        return None, "not_mobile"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def test_the_quick_mobile_check_answers_as_phonenumbers_does() -> None:
    rng = random.Random(7)
    numbers = [
        f"{lead}{prefix}{rng.randrange(10**8):08d}"
        for prefix in range(100, 200) for lead in ("", "+86", "+86 ", "0086") for _ in range(12)
    ] + ["+8617951234567", "17951234567", "+861795123456", "+85261234567", "+14155552671",
         "+8613800138000 ", "+86138001380001", "+861380013800", "+8601012345678", "01012345678"]
    for raw in numbers:
        check = check_mobile.__wrapped__(raw)
        assert (check.e164, check.problem) == _reference_check(raw), raw


def test_quiet_hours_end_at_08_00_local_and_daytime_is_free() -> None:
    quiet = QuietHours(time(21), time(8))
    late = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 Shanghai
    early = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 06:00 Shanghai next day
    assert quiet_release(late, SHANGHAI, quiet) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert quiet_release(early, SHANGHAI, quiet) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    assert quiet_release(datetime(2026, 3, 2, 4, 0, tzinfo=UTC), SHANGHAI, quiet) is None
    berlin = ZoneInfo("Europe/Berlin")  # 16:30 in Berlin: not quiet there
    assert quiet_release(late, berlin, quiet) is None


def test_critical_messages_ignore_quiet_hours_but_others_wait() -> None:
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    morning = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    common = {"now": now, "otp": False, "recent": NOTHING_RECENT, "limits": LIMITS,
              "quiet_until": morning, "morning": morning}
    assert schedule_sms(critical=False, **common).status is Status.DEFERRED  # type: ignore[arg-type]
    assert schedule_sms(critical=True, **common).status is Status.QUEUED  # type: ignore[arg-type]


def test_sign_in_codes_past_the_hourly_limit_are_not_sent() -> None:
    now = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    busy = RecentSends(None, 5, 0, 5, 5, now - timedelta(minutes=5))
    decision = schedule_sms(now=now, otp=True, critical=True, recent=busy, limits=LIMITS,
                            quiet_until=None, morning=now)
    assert (decision.status, decision.reason) == (Status.SUPPRESSED, "otp_rate_limited")


def test_breaker_opens_after_failures_and_lets_one_probe_through_after_cooldown() -> None:
    clock = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_s=10, monotonic=lambda: clock[0])
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert not breaker.allow()
    clock[0] = 11
    assert breaker.allow()
    assert not breaker.allow()  # only one probe at a time
    breaker.record_success()
    assert breaker.state == "closed"


def test_aliyun_signature_matches_the_example_in_aliyuns_documentation() -> None:
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert aliyun.rpc_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    sdk = AliyunSdk.get_rpcsignature(params, "POST", "s")
    assert aliyun.rpc_signature("POST", params, "s") == sdk


def test_tencent_signature_agrees_with_the_official_sdk_signer() -> None:
    payload = json.dumps({"PhoneNumberSet": ["+8613800138000"]}).encode()
    header = tencent.authorization(secret_id="AKIDx", secret_key="key",
                                   host="sms.tencentcloudapi.com", payload=payload,
                                   timestamp=1551113065)
    canonical = tencent.canonical_request(host="sms.tencentcloudapi.com", payload=payload)
    to_sign = ("TC3-HMAC-SHA256\n1551113065\n2019-02-25/sms/tc3_request\n"
               + hashlib.sha256(canonical.encode()).hexdigest())
    expected = TencentSdk.sign_tc3("key", "2019-02-25", "sms", to_sign)
    assert header.endswith(f"Signature={expected}")
    assert "Credential=AKIDx/2019-02-25/sms/tc3_request" in header


def test_provider_error_codes_are_classified_by_what_they_mean_for_a_resend() -> None:
    def ali(status: int, body: dict[str, str]) -> Outcome:
        return aliyun.classify(status, json.dumps(body).encode()).outcome

    assert ali(200, {"Code": "OK", "BizId": "1"}) is Outcome.ACCEPTED
    assert ali(500, {"Code": "isp.SYSTEM_ERROR"}) is Outcome.TRANSIENT
    assert ali(200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}) is Outcome.RATE_LIMITED
    assert ali(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}) is Outcome.INVALID_RECIPIENT
    assert ali(200, {"Code": "isv.AMOUNT_NOT_ENOUGH"}) is Outcome.REJECTED
    assert aliyun.classify(504, b"gateway timeout").outcome is Outcome.UNKNOWN

    def ten(code: str) -> Outcome:
        body = {"Response": {"SendStatusSet": [{"Code": code, "SerialNo": "s"}]}}
        return tencent.classify(200, json.dumps(body).encode()).outcome

    assert ten("Ok") is Outcome.ACCEPTED
    assert ten("LimitExceeded.PhoneNumberDailyLimit") is Outcome.RATE_LIMITED
    assert ten("InvalidParameterValue.IncorrectPhoneNumber") is Outcome.INVALID_RECIPIENT
    assert ten("FailedOperation.PhoneNumberInBlacklist") is Outcome.INVALID_RECIPIENT
    assert ten("FailedOperation.InsufficientBalanceInSmsPackage") is Outcome.REJECTED
    error = {"Response": {"Error": {"Code": "InternalError.Timeout"}}}
    assert tencent.classify(200, json.dumps(error).encode()).outcome is Outcome.UNKNOWN


def test_receipts_are_normalised_with_our_id_and_a_dedup_key() -> None:
    row_id = UUID(int=7)
    reports = aliyun.AliyunReports.model_validate(
        [{"phone_number": "13800138000", "success": True, "err_code": "DELIVERED",
          "biz_id": "b1", "out_id": row_id.hex, "report_time": "2026-03-02 10:00:09"}])
    (receipt,) = aliyun.receipts(reports)
    assert receipt.out_id == str(row_id)
    assert receipt.key == "b1:ok"
    assert receipt.at == datetime(2026, 3, 2, 2, 0, 9, tzinfo=UTC)
