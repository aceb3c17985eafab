"""Interrupted sends, unknown outcomes and how receipts and the reconciler settle them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.notification import repository
from services.notification.app import create_app
from services.notification.keys import DISPATCHER
from shared.db import Listener
from shared.errors import StartupRefused
from tests.notification.conftest import TEMPLATES, StartService, settings_for
from tests.notification.fakes import FakeSms
from tests.notification.harness import confirmed, recipient
from tests.support.log_guard import record_output


async def test_send_interrupted_by_a_crash_becomes_unknown_then_failed_and_is_never_resent(
    start_service: StartService, aliyun: FakeSms
) -> None:
    intake = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url,
                                 run_dispatcher=False)
    envelope = await intake.publish(confirmed())
    await intake.until_status(envelope.message_id, "queued")
    async with intake.pool.acquire() as conn, conn.transaction():
        # A dispatcher claims the row and dies before recording whether it called Aliyun.
        claimed, _ = await repository.claim_due(conn, now=intake.clock.now(), limit=10)
    assert [r.source_message_id for r in claimed] == [envelope.message_id]
    await start_service(
        sms_providers=("aliyun",), aliyun_endpoint=aliyun.url, run_consumers=False,
        sending_stuck_after_s=0.2, unknown_expires_after_s=0.5, reconcile_interval_s=0.1,
    )
    rows = await intake.until_status(envelope.message_id, "failed")
    assert rows[0]["error_code"] == "unknown_expired"

    async def announced() -> bool:
        return "notification.failed.v1" in await intake.announced_types(envelope.message_id)

    await intake.until(announced)
    failure = next(e for e in intake.announced if e["type"] == "notification.failed.v1")
    assert failure["data"]["permanent"] is False
    assert failure["data"]["reason"] == "delivery_unknown"
    assert aliyun.calls == []


async def _cut_off_while_sending(start_service: StartService, aliyun: FakeSms) -> Any:
    """Queue an SMS, then claim it as a dispatcher that dies at once does (its provider was
    never recorded); return the intake service and the claimed row."""
    intake = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url,
                                 run_dispatcher=False)
    envelope = await intake.publish(confirmed())
    await intake.until_status(envelope.message_id, "queued")
    async with intake.pool.acquire() as conn, conn.transaction():
        [claimed], _ = await repository.claim_due(conn, now=intake.clock.now(), limit=10)
    return intake, claimed


async def test_a_send_cut_off_after_the_provider_took_it_is_settled_from_its_records_not_resent(
    start_service: StartService, aliyun: FakeSms
) -> None:
    intake, claimed = await _cut_off_while_sending(start_service, aliyun)
    # The dying dispatcher's call had reached Aliyun: its records hold the message.
    aliyun.calls.append({"PhoneNumbers": "13800138000", "TemplateCode": TEMPLATES[
        "enrollment.confirmed"], "OutId": claimed.id.hex, "answer": "ok", "TemplateParam": {}})
    await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url,
                        run_consumers=False, sending_stuck_after_s=0.2,
                        unknown_query_after_s=0.3, reconcile_interval_s=0.1)
    [row] = await intake.until_status(claimed.source_message_id, "delivered")
    assert row["provider"] == "aliyun"
    assert len(aliyun.calls) == 1  # never sent again
    assert aliyun.queries >= 1


async def test_a_send_cut_off_before_the_provider_took_it_is_sent_once(
    start_service: StartService, aliyun: FakeSms
) -> None:
    intake, claimed = await _cut_off_while_sending(start_service, aliyun)
    await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url,
                        run_consumers=False, sending_stuck_after_s=0.2,
                        unknown_query_after_s=0.3, reconcile_interval_s=0.1)
    await intake.until_status(claimed.source_message_id, "submitted")
    assert [(c["OutId"], c["answer"]) for c in aliyun.calls] == [(claimed.id.hex, "ok")]


async def test_tencent_receipt_settles_a_timed_out_send_by_its_number(
    start_service: StartService, tencent: FakeSms
) -> None:
    tencent.behaviour.script.extend(["slow"])
    service = await start_service(sms_providers=("tencent",), tencent_endpoint=tencent.url)
    envelope = await service.publish(confirmed())
    await service.until_status(envelope.message_id, "unknown")
    receipt = [{"user_receive_time": "2026-03-02 10:00:05", "nationcode": "86",
                "mobile": "13800138000", "report_status": "SUCCESS", "errmsg": "DELIVRD",
                "description": "ok", "sid": "serial-from-the-lost-answer"}]
    answer = await service.client.post(service.receipts("tencent"), json=receipt)
    assert answer.status == 200
    rows = await service.until_status(envelope.message_id, "delivered")
    assert len(rows) == 1
    assert len(tencent.calls) == 1


async def test_receipts_need_the_configured_token(start_service: StartService) -> None:
    service = await start_service(receipt_token="s3cret")
    refused = await service.client.post("/api/v1/receipts/aliyun", json=[])
    assert refused.status == 401
    assert (await refused.json())["code"] == "receipt_token_invalid"
    taken = await service.client.post("/api/v1/receipts/aliyun?token=s3cret", json=[])
    assert await taken.json() == {"code": 0, "msg": "接收成功"}
    malformed = await service.client.post("/api/v1/receipts/tencent?token=s3cret",
                                          json=[{"sid": 1}])
    assert malformed.status == 422


# A well-formed body, and bodies a receipt callback may not carry: none, not JSON, not an
# array, a malformed report, larger than any request may be.
BODIES = {"valid": b"[]", "empty": b"", "not_json": b"{not json", "object": b'{"an": "object"}',
              "wrong_item": b'[{"sid": 1}]', "too_large": b"x" * (1 << 20 | 1)}
NO_TOKEN = ["", "?token=", "?token=wrong", "?token=s3cr%C3%A9t", "?token=s3cret%00",
            "?token=%FF", "?token=%ED%A0%80"]


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
async def test_a_receipt_without_the_token_is_refused_before_its_body_is_read(
    start_service: StartService, provider: str
) -> None:
    """A caller without the token learns nothing about the body format: always 401."""
    service = await start_service(receipt_token="s3cret")
    wrong = []
    for query in NO_TOKEN:
        for name, data in BODIES.items():
            refused = await service.client.post(f"/api/v1/receipts/{provider}{query}",
                                                data=io.BytesIO(data),
                                                headers={"Content-Type": "application/json"})
            code = (await refused.json()).get("code") if refused.status < 500 else None
            if (refused.status, refused.content_type, code) != (
                    401, "application/problem+json", "receipt_token_invalid"):
                wrong.append(f"{query or 'no token'} {name}: {refused.status} {code}")
    assert not wrong


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
async def test_a_receipt_with_the_token_and_a_bad_body_is_told_what_is_wrong(
    start_service: StartService, provider: str
) -> None:
    service = await start_service(receipt_token="s3cret")
    path = f"/api/v1/receipts/{provider}?token=s3cret"
    not_json = await service.client.post(path, data=b"{not json",
                                         headers={"Content-Type": "application/json"})
    assert (not_json.status, (await not_json.json())["code"]) == (400, "invalid_json")
    wrong_shape = await service.client.post(path, json={"an": "object"})
    assert (wrong_shape.status, (await wrong_shape.json())["code"]) == (422, "validation_failed")


@pytest.mark.parametrize("providers", [("aliyun",), ("tencent",), ("sink", "tencent")])
def test_a_real_sms_provider_without_a_receipt_token_refuses_to_start(
    pg_dsn: str, namespace: str, key_files: Path, providers: tuple[str, ...]
) -> None:
    settings = settings_for(pg_dsn, namespace, key_files, sms_providers=providers,
                            receipt_token="")
    with pytest.raises(StartupRefused, match="JIANGXIN_NOTIFICATION_RECEIPT_TOKEN"):
        create_app(settings)
    create_app(settings_for(pg_dsn, namespace, key_files, sms_providers=providers))  # token set


@pytest.mark.parametrize(("provider", "unset"), [
    ("aliyun", "aliyun_sign_name"), ("aliyun", "aliyun_access_key_secret"),
    ("tencent", "tencent_sign_name"), ("tencent", "tencent_sdk_app_id"),
])
def test_a_real_sms_provider_refuses_to_start_without_its_own_credentials_and_sign_name(
    pg_dsn: str, namespace: str, key_files: Path, provider: str, unset: str
) -> None:
    settings = settings_for(pg_dsn, namespace, key_files, sms_providers=(provider,),
                            **{unset: ""})
    with pytest.raises(StartupRefused, match=f"JIANGXIN_NOTIFICATION_{unset.upper()}"):
        create_app(settings)


def test_the_sink_needs_no_receipt_token(pg_dsn: str, namespace: str, key_files: Path) -> None:
    create_app(settings_for(pg_dsn, namespace, key_files, receipt_token=""))


def test_the_service_process_exits_naming_the_missing_receipt_token(key_files: Path) -> None:
    env = {
        **os.environ,
        "JIANGXIN_NOTIFICATION_SMS_PROVIDERS": '["aliyun"]',
        "JIANGXIN_NOTIFICATION_ALIYUN_TEMPLATES": json.dumps(TEMPLATES),
        "JIANGXIN_NOTIFICATION_RECEIPT_TOKEN": "",
        "JIANGXIN_JWT_PUBLIC_KEY_FILE": str(key_files / "jwt-signing.pub.pem"),
        "JIANGXIN_NOTIFICATION_HTTP_PORT": "0",
    }
    done = subprocess.run([sys.executable, "-m", "services.notification"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    record_output("notification", done.stdout, done.stderr)
    assert done.returncode == 1
    assert "refusing to start" in done.stderr
    assert "JIANGXIN_NOTIFICATION_RECEIPT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


async def test_unsubscribe_link_asks_first_and_unknown_tokens_are_not_found(
    start_service: StartService,
) -> None:
    service = await start_service()
    form = await service.client.get("/api/v1/notifications/unsubscribe/abc")
    assert form.status == 200
    assert 'action="/api/v1/notifications/unsubscribe/abc"' in await form.text()
    unknown = await service.client.post("/api/v1/notifications/unsubscribe/abc")
    assert unknown.status == 404
    assert (await unknown.json())["code"] == "unsubscribe_token_unknown"


async def test_unknown_send_is_settled_from_the_providers_records_without_a_second_send(
    start_service: StartService, aliyun: FakeSms
) -> None:
    aliyun.behaviour.script.extend(["slow"])
    service = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url,
                                  unknown_query_after_s=0.3, reconcile_interval_s=0.1)
    envelope = await service.publish(confirmed())
    rows = await service.until_status(envelope.message_id, "delivered")
    assert len(rows) == 1
    assert len(aliyun.calls) == 1
    assert aliyun.queries >= 1
    assert aliyun.bad_signatures == 0


async def test_unknown_send_the_provider_never_took_is_sent_again_once(
    start_service: StartService, aliyun: FakeSms
) -> None:
    aliyun.behaviour.script.extend(["slow"])
    aliyun.forget = True
    service = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url,
                                  unknown_query_after_s=0.3, reconcile_interval_s=0.1)
    envelope = await service.publish(confirmed())
    rows = await service.until_status(envelope.message_id, "submitted")
    assert len(rows) == 1
    assert [c["answer"] for c in aliyun.calls] == ["slow", "ok"]
    assert rows[0]["attempts"] == 2


async def test_the_dispatcher_is_woken_by_listen_and_listens_again_after_losing_it(
    start_service: StartService,
) -> None:
    # Polling once an hour: only LISTEN/NOTIFY can make these messages go.
    service = await start_service(dispatch_poll_s=3600, reconcile_interval_s=3600)
    listener: Listener = service.client.app[DISPATCHER].listener

    async def listening() -> bool:
        return listener.listening

    await service.until(listening)
    first = await service.publish(confirmed())
    await service.until_status(first.message_id, "delivered")
    assert listener.connection is not None
    lost = listener.connection.get_server_pid()
    await service.pool.execute("SELECT pg_terminate_backend($1)", lost)  # our own LISTEN session

    async def listening_again() -> bool:
        connection = listener.connection
        return bool(listener.listening and connection is not None
                    and connection.get_server_pid() != lost)

    await service.until(listening_again)
    second = await service.publish(confirmed(trainee=recipient(phone="+8613700137000")))
    await service.until_status(second.message_id, "delivered")
