"""The journey of the source event follows its messages: outcome events and send log lines."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.messaging.context import new_traceparent
from tests.notification.conftest import StartService
from tests.notification.fakes import FakeSms
from tests.notification.harness import Service, confirmed
from tests.support.logs import json_logs, log_lines


async def announced(service: Service, source: UUID, routing_key: str) -> dict[str, Any]:
    """Wait for an outcome event about `source` and return its envelope."""

    async def seen() -> bool:
        return routing_key in await service.announced_types(source)

    await service.until(seen)
    return next(e for e in service.announced
                if e["type"] == routing_key and e["data"]["source_message_id"] == str(source))


async def test_delivered_event_and_send_log_lines_carry_the_source_events_correlation(
    start_service: StartService,
) -> None:
    service = await start_service()
    parent = new_traceparent()
    with json_logs() as logs:
        envelope = await service.publish(confirmed(), correlation_id="journey-42",
                                         traceparent=parent)
        source = str(envelope.message_id)
        rows = await service.until_status(envelope.message_id, "delivered")
        delivered = await announced(service, envelope.message_id, "notification.delivered.v1")

    assert delivered["correlation_id"] == "journey-42"
    assert delivered["causation_id"] == source
    assert delivered["traceparent"].split("-")[1] == parent.split("-")[1]  # same trace
    assert rows[0]["correlation_id"] == "journey-42"
    about_row = [line for line in log_lines(logs)
                 if line.get("notification_id") == str(rows[0]["id"])]
    events = [line["event"] for line in about_row]
    assert "notification_submitted" in events
    assert "notification_delivered" in events
    assert all(line["correlation_id"] == "journey-42" for line in about_row)
    submitted = next(line for line in about_row if line["event"] == "notification_submitted")
    assert submitted["level"] == "info"
    assert (submitted["channel"], submitted["provider"]) == ("sms", "sink")
    assert submitted["recipient"] == "+86138****8000"
    assert "13800138000" not in logs.getvalue()


async def test_receipt_outcome_carries_the_source_events_correlation(
    start_service: StartService, aliyun: FakeSms
) -> None:
    service = await start_service(sms_providers=("aliyun",), aliyun_endpoint=aliyun.url)
    envelope = await service.publish(confirmed(), correlation_id="journey-43")
    source = str(envelope.message_id)
    rows = await service.until_status(envelope.message_id, "submitted")
    report = {"phone_number": "13800138000", "send_time": "2026-03-02 10:00:00",
              "report_time": "2026-03-02 10:00:09", "success": True, "err_code": "DELIVERED",
              "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "biz-1",
              "out_id": rows[0]["id"].hex}
    with json_logs() as logs:
        answer = await service.client.post(service.receipts("aliyun"), json=[report],
                                           headers={"X-Correlation-ID": "the-providers-call"})
        assert answer.status == 200
        delivered = await announced(service, envelope.message_id, "notification.delivered.v1")

    assert (delivered["correlation_id"], delivered["causation_id"]) == ("journey-43", source)
    applied = next(line for line in log_lines(logs) if line["event"] == "receipt_applied")
    assert applied["correlation_id"] == "journey-43"
    assert applied["notification_id"] == str(rows[0]["id"])
