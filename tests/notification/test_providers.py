"""Real adapters against local Aliyun, Tencent and SMTP servers that verify the wire format."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from prometheus_client import REGISTRY

from tests.notification.conftest import StartService
from tests.notification.fakes import FakeSms, SmtpCapture, free_port
from tests.notification.harness import confirmed, recipient


async def test_duplicate_events_and_concurrent_consumers_give_one_provider_call(
    start_service: StartService, aliyun: FakeSms
) -> None:
    first = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url)
    await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url)
    event = confirmed()
    envelope = await first.publish(event)
    for _ in range(3):
        await first.publish(event, message_id=envelope.message_id)
    await first.until_status(envelope.message_id, "submitted")

    async def copies_skipped() -> bool:
        skipped = REGISTRY.get_sample_value("jiangxin_messages_consumed_total", {
            "service": "notification", "queue": first.settings.queue_name,
            "type": "enrollment.confirmed.v1", "outcome": "duplicate"})
        return skipped == 3

    await first.until(copies_skipped)
    assert len(aliyun.calls) == 1
    assert aliyun.bad_signatures == 0
    call = aliyun.calls[0]
    rows = await first.rows(envelope.message_id)
    assert len(rows) == 1
    assert call["OutId"] == rows[0]["id"].hex
    assert call["PhoneNumbers"] == "13800138000"
    assert call["TemplateCode"] == "SMS_0001"
    assert call["TemplateParam"] == {
        "name": "张三", "course": "育婴员", "starts_on": "2026年3月9日",
        "venue_short": "市职工服务中心 3楼",
    }


async def test_provider_down_retries_then_fails_over_and_is_delivered_on_one_row(
    start_service: StartService, aliyun: FakeSms, tencent: FakeSms
) -> None:
    aliyun.behaviour.default = "down"
    tencent.behaviour.script.extend(["down"])
    service = await start_service(
        sms_providers=("aliyun", "tencent"), aliyun_endpoint=aliyun.url,
        tencent_endpoint=tencent.url,
    )
    envelope = await service.publish(confirmed())
    rows = await service.until_status(envelope.message_id, "submitted")
    assert len(rows) == 1
    row = rows[0]
    assert (row["provider"], row["attempts"]) == ("tencent", 2)
    assert [c["answer"] for c in aliyun.calls] == ["down", "down"]
    assert [c["answer"] for c in tencent.calls] == ["down", "ok"]
    assert tencent.calls[-1]["SessionContext"] == row["id"].hex
    assert tencent.calls[-1]["TemplateParamSet"] == ["张三", "育婴员", "2026年3月9日",
                                                     "市职工服务中心 3楼"]
    assert aliyun.bad_signatures == tencent.bad_signatures == 0
    receipt = [{"user_receive_time": "2026-03-02 10:00:05", "nationcode": "86",
                "mobile": "13800138000", "report_status": "SUCCESS", "errmsg": "DELIVRD",
                "description": "用户短信送达成功", "sid": row["provider_message_id"]}]
    answer = await service.client.post(service.receipts("tencent"), json=receipt)
    assert await answer.json() == {"result": 0, "errmsg": "OK"}
    rows = await service.until_status(envelope.message_id, "delivered")
    assert len(rows) == 1
    attempts = await service.pool.fetchval(
        "SELECT count(*) FROM notification_attempts WHERE notification_id = $1", row["id"])
    assert attempts == 4


async def test_slow_provider_leaves_unknown_and_a_receipt_resolves_it_without_resending(
    start_service: StartService, aliyun: FakeSms, tencent: FakeSms
) -> None:
    aliyun.behaviour.script.extend(["slow"])
    service = await start_service(
        sms_providers=("aliyun", "tencent"), aliyun_endpoint=aliyun.url,
        tencent_endpoint=tencent.url,
    )
    envelope = await service.publish(confirmed())
    rows = await service.until_status(envelope.message_id, "unknown")
    row = rows[0]
    report = {"phone_number": "13800138000", "send_time": "2026-03-02 10:00:00",
              "report_time": "2026-03-02 10:00:09", "success": True, "err_code": "DELIVERED",
              "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "biz-1",
              "out_id": row["id"].hex}
    for _ in range(2):  # receipts may arrive twice
        answer = await service.client.post(service.receipts("aliyun"), json=[report])
        assert await answer.json() == {"code": 0, "msg": "接收成功"}
    late_failure = {**report, "success": False, "err_code": "MK:0001"}
    await service.client.post(service.receipts("aliyun"), json=[late_failure])
    rows = await service.until_status(envelope.message_id, "delivered")

    async def announced() -> bool:
        return "notification.delivered.v1" in await service.announced_types(envelope.message_id)

    await service.until(announced)
    assert len(aliyun.calls) == 1
    assert tencent.calls == []
    assert len(rows) == 1
    types = await service.announced_types(envelope.message_id)
    assert types.count("notification.delivered.v1") == 1
    assert "notification.failed.v1" not in types


async def test_landline_gets_no_sms_call_and_falls_back_to_email_over_smtp(
    start_service: StartService, aliyun: FakeSms, smtp: tuple[SmtpCapture, int]
) -> None:
    capture, port = smtp
    service = await start_service(
        sms_providers=("aliyun",), aliyun_endpoint=aliyun.url, email_provider="smtp",
        smtp_port=port,
    )
    envelope = await service.publish(confirmed(trainee=recipient(phone="+861012345678")))
    rows = await service.until_status(envelope.message_id, "delivered")
    assert [(r["channel"], r["status"], r["error_code"]) for r in rows] == [
        ("sms", "failed", "not_mobile"), ("email", "delivered", None)]
    assert aliyun.calls == []
    assert len(capture.messages) == 1
    mail = message_from_bytes(capture.messages[0]["data"], policy=policy.default)
    assert mail["Message-ID"] == f"<{rows[1]['id']}@jiangxin.local>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Subject"] == "报名成功：育婴员"
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",))
    assert html is not None
    assert "市职工服务中心 3楼" in html.get_content()
    found = re.search(r"<([^>]+)>", str(mail["List-Unsubscribe"]))
    assert found is not None
    url = found.group(1)
    path = url.removeprefix("http://notify.test")
    response = await service.client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    types = await service.announced_types(envelope.message_id)
    assert "notification.failed.v1" in types
    second = await service.publish(confirmed(trainee=recipient(
        user_id=rows[0]["recipient_user_id"], phone="+861012345678")))
    await service.until_status(second.message_id, "failed")
    assert [r["channel"] for r in await service.rows(second.message_id)] == ["sms"]
    assert len(capture.messages) == 1


async def test_number_the_provider_refuses_falls_back_to_email(
    start_service: StartService, tencent: FakeSms, smtp: tuple[SmtpCapture, int]
) -> None:
    capture, port = smtp
    tencent.behaviour.script.extend(["bad_number"])
    service = await start_service(
        sms_providers=("tencent",), tencent_endpoint=tencent.url, email_provider="smtp",
        smtp_port=port,
    )
    envelope = await service.publish(confirmed())
    rows = await service.until_status(envelope.message_id, "delivered")
    assert [(r["channel"], r["status"]) for r in rows] == [
        ("sms", "failed"), ("email", "delivered")]
    assert rows[0]["error_code"] == "InvalidParameterValue.IncorrectPhoneNumber"
    assert len(tencent.calls) == 1
    assert len(capture.messages) == 1


async def test_smtp_4xx_is_retried_with_the_same_message_id(
    start_service: StartService, smtp: tuple[SmtpCapture, int]
) -> None:
    capture, port = smtp
    capture.reject.extend([451])
    service = await start_service(email_provider="smtp", smtp_port=port)
    person = recipient(phone=None)
    envelope = await service.publish(confirmed(trainee=person))
    rows = await service.until_status(envelope.message_id, "delivered")
    assert len(rows) == 1
    assert rows[0]["attempts"] == 2
    mail = message_from_bytes(capture.messages[0]["data"], policy=policy.default)
    assert mail["Message-ID"] == f"<{rows[0]['id']}@jiangxin.local>"


async def test_smtp_5xx_at_data_fails_the_email_at_once_and_falls_back_to_sms(
    start_service: StartService, smtp: tuple[SmtpCapture, int]
) -> None:
    capture, port = smtp
    capture.reject.extend([550])
    service = await start_service(email_provider="smtp", smtp_port=port)
    person = recipient()
    assert person.user_id is not None
    preferred = await service.client.put(
        "/api/v1/me/preferences", json={"preferred": "email"},
        headers=service.token("trainee", person.user_id))
    assert preferred.status == 200
    envelope = await service.publish(confirmed(trainee=person))
    rows = await service.until_status(envelope.message_id, "delivered")
    assert [(r["channel"], r["status"], r["error_code"], r["attempts"]) for r in rows] == [
        ("email", "failed", "smtp_550", 1), ("sms", "delivered", None, 1)]
    assert capture.messages == []
    failed = [e for e in await service.drain_announced()
              if e["type"] == "notification.failed.v1"
              and e["data"]["source_message_id"] == str(envelope.message_id)]
    assert [(e["data"]["channel"], e["data"]["permanent"]) for e in failed] == [("email", True)]


async def test_smtp_5xx_at_data_is_not_retried_when_there_is_no_other_channel(
    start_service: StartService, smtp: tuple[SmtpCapture, int]
) -> None:
    capture, port = smtp
    capture.reject.extend([554])
    service = await start_service(email_provider="smtp", smtp_port=port)
    envelope = await service.publish(confirmed(trainee=recipient(phone=None)))
    rows = await service.until_status(envelope.message_id, "failed")
    assert [(r["channel"], r["error_code"], r["attempts"]) for r in rows] == [
        ("email", "smtp_554", 1)]
    attempts = await service.pool.fetch(
        "SELECT outcome, code FROM notification_attempts WHERE notification_id = $1",
        rows[0]["id"])
    assert [(a["outcome"], a["code"]) for a in attempts] == [("permanent", "smtp_554")]
    assert capture.messages == []


async def test_refused_connection_fails_over_and_an_open_breaker_skips_the_dead_provider(
    start_service: StartService, tencent: FakeSms
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    service = await start_service(
        sms_providers=("aliyun", "tencent"), aliyun_endpoint=dead, tencent_endpoint=tencent.url,
        breaker_threshold=1, breaker_cooldown_s=3600,
    )
    first = await service.publish(confirmed())
    await service.until_status(first.message_id, "submitted")
    second = await service.publish(confirmed(trainee=recipient(phone="+8613700137000")))
    await service.until_status(second.message_id, "submitted")
    attempts = await service.pool.fetch(
        """SELECT n.source_message_id, a.provider, a.outcome, a.code
           FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
           ORDER BY a.id""")
    by_source = {
        source: [(a["provider"], a["outcome"], a["code"]) for a in attempts
                 if a["source_message_id"] == source]
        for source in (first.message_id, second.message_id)
    }
    assert by_source[first.message_id] == [
        ("aliyun", "transient", "connect_failed"), ("tencent", "accepted", "")]
    assert by_source[second.message_id] == [
        ("aliyun", "transient", "circuit_open"), ("tencent", "accepted", "")]
    assert len(tencent.calls) == 2


def test_mime_with_header_classes_made_once_is_byte_for_byte_the_standard_policy() -> None:
    """`smtp.POLICY` only caches header classes: the bytes must equal email.policy.default's."""
    from email.message import EmailMessage as MimeMessage
    from uuid import uuid4

    from services.notification.providers import smtp
    from services.notification.providers.base import EmailMessage

    message = EmailMessage(
        id=uuid4(), to="trainee@example.com", subject="报名成功：育婴员（五级）" * 3,
        text="王小明，您好！\n您已报名育婴员培训。" * 9, html="<p>王小明，您好！</p>" * 9,
        message_id="<abc@jiangxin.local>",
        unsubscribe_url="https://example.com/api/v1/notifications/unsubscribe/t", event_type="x",
    )
    made = [smtp.build_mime(message, sender="匠心培训 <noreply@jiangxin.local>")]
    original = smtp.POLICY
    smtp.POLICY = policy.default
    try:
        made.append(smtp.build_mime(message, sender="匠心培训 <noreply@jiangxin.local>"))
    finally:
        smtp.POLICY = original

    def stable(mime: MimeMessage) -> bytes:
        raw = mime.as_bytes()
        return re.sub(rb"=+\d+==", b"BOUNDARY", re.sub(rb"Date: [^\n]*\n", b"", raw))

    assert made[0].policy is not policy.default
    assert stable(made[0]) == stable(made[1])
    assert message_from_bytes(made[0].as_bytes(), policy=policy.default)["Subject"] == (
        message.subject
    )
