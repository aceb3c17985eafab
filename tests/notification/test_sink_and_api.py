"""Through the real consumer to the sink provider, and the HTTP API around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notification.app import create_app
from shared.errors import StartupRefused
from shared.events.catalog import SurveyInvited
from shared.ids import new_id
from tests.notification.conftest import StartService, settings_for
from tests.notification.harness import class_info, confirmed, otp, recipient
from tests.support.logs import json_logs, log_lines

INBOX_PATHS = ("/dev/inbox", "/dev/inbox/messages", "/dev/inbox.json")


async def test_confirmation_reaches_the_sink_once_and_is_announced_delivered(
    start_service: StartService,
) -> None:
    service = await start_service(dev_inbox=True)
    envelope = await service.publish(confirmed())
    rows = await service.until_status(envelope.message_id, "delivered")
    assert [(r["channel"], r["recipient"], r["provider"]) for r in rows] == [
        ("sms", "+8613800138000", "sink")
    ]
    assert rows[0]["body"].startswith("张三，您已报名育婴员")
    assert rows[0]["segments"] == 1
    assert rows[0]["chars"] == len(rows[0]["body"]) + 6

    async def announced() -> bool:
        return "notification.delivered.v1" in await service.announced_types(envelope.message_id)

    await service.until(announced)
    inbox = await service.client.get("/dev/inbox.json", params={"phone": "13800138000"})
    items = (await inbox.json())["items"]
    assert len(items) == 1
    assert items[0]["body"].startswith("【匠心培训】张三")


async def test_sign_in_code_is_easy_to_find_in_the_dev_inbox(start_service: StartService) -> None:
    service = await start_service(dev_inbox=True)
    await service.publish(otp(phone="+8613900139000", code="482913"))

    async def arrived() -> bool:
        response = await service.client.get(
            "/dev/inbox.json", params={"phone": "+86 139 0013 9000"}
        )
        items = (await response.json())["items"]
        return bool(items) and items[0]["code"] == "482913"

    await service.until(arrived)
    page = await service.client.get("/dev/inbox")
    html = await page.text()
    assert page.status == 200
    assert 'data-code="482913"' in html


async def test_dev_inbox_escapes_what_it_shows(start_service: StartService) -> None:
    service = await start_service(dev_inbox=True)
    await service.publish(confirmed(trainee=recipient(name="<script>x</script>")))

    async def shown() -> bool:
        return "&lt;script&gt;" in await (await service.client.get("/dev/inbox")).text()

    await service.until(shown)
    assert "<script>x</script>" not in await (await service.client.get("/dev/inbox")).text()


@pytest.mark.parametrize(("sms", "email"), [
    (("aliyun",), "smtp"), (("sink",), "smtp"), (("aliyun",), "sink"),
    (("sink", "tencent"), "sink"),
])
def test_the_dev_inbox_refuses_to_start_unless_sms_and_email_both_go_to_the_sink(
    pg_dsn: str, namespace: str, key_files: Path, sms: tuple[str, ...], email: str
) -> None:
    settings = settings_for(pg_dsn, namespace, key_files, sms_providers=sms,
                            email_provider=email, dev_inbox=True)
    with pytest.raises(StartupRefused, match="JIANGXIN_NOTIFICATION_DEV_INBOX"):
        create_app(settings)
    create_app(settings.model_copy(update={"dev_inbox": False}))
    create_app(settings_for(pg_dsn, namespace, key_files, dev_inbox=True))  # the sink alone


async def test_dev_inbox_is_off_by_default_and_hides_sign_in_codes_the_sink_holds(
    start_service: StartService,
) -> None:
    service = await start_service()
    envelope = await service.publish(otp(phone="+8613900139000", code="482913"))
    await service.until_status(envelope.message_id, "delivered")
    for path in INBOX_PATHS:
        response = await service.client.get(path, params={"phone": "13900139000"})
        assert response.status == 404, path
        assert response.content_type == "application/problem+json"
        assert "482913" not in await response.text()


async def test_start_up_warns_when_sms_goes_to_the_sink_on_a_public_address(
    start_service: StartService,
) -> None:
    with json_logs() as logs:
        await start_service(public_base_url="https://peixun.example.org")
        await start_service(public_base_url="http://127.0.0.1:8080")
        await start_service(public_base_url="http://localhost:8080")
    warnings = [line for line in log_lines(logs) if line["event"] == "sms_sink_on_public_url"]
    assert [(w["level"], w["public_base_url"]) for w in warnings] == [
        ("warning", "https://peixun.example.org")
    ]


async def test_admin_lists_messages_by_recipient_with_masked_address(
    start_service: StartService,
) -> None:
    service = await start_service()
    envelope = await service.publish(confirmed())
    await service.until_status(envelope.message_id, "delivered")
    response = await service.client.get(
        "/api/v1/notifications", params={"recipient": "13800138000"}, headers=service.token()
    )
    item = (await response.json())["items"][0]
    assert item["recipient_masked"] == "+86138****8000"
    assert {"id", "event_type", "channel", "status", "attempts", "created_at", "body"} <= set(item)
    assert item["event_type"] == "enrollment.confirmed"
    assert item["attempts"] == 1
    stats = await (await service.client.get("/api/v1/notifications/stats",
                                            headers=service.token())).json()
    assert stats["sent"] == 1
    assert stats["delivered"] == 1
    assert stats["failed"] == 0


async def test_trainees_may_not_list_other_peoples_messages(start_service: StartService) -> None:
    service = await start_service()
    response = await service.client.get(
        "/api/v1/notifications", params={"recipient": "13800138000"},
        headers=service.token("trainee"),
    )
    assert response.status == 403
    assert (await response.json())["code"] == "role_forbidden"


async def test_admin_search_rejects_a_recipient_that_is_neither_phone_nor_email(
    start_service: StartService,
) -> None:
    service = await start_service()
    response = await service.client.get(
        "/api/v1/notifications", params={"recipient": "nobody"}, headers=service.token()
    )
    assert response.status == 422
    assert (await response.json())["code"] == "invalid_recipient"


async def test_trainee_sees_own_messages_and_sets_preferences(start_service: StartService) -> None:
    service = await start_service()
    person = recipient()
    assert person.user_id is not None
    mine = service.token("trainee", person.user_id)
    envelope = await service.publish(confirmed(trainee=person))
    await service.until_status(envelope.message_id, "delivered")
    listed = await (await service.client.get("/api/v1/me/notifications", headers=mine)).json()
    assert [i["event_type"] for i in listed["items"]] == ["enrollment.confirmed"]
    assert (await (await service.client.get("/api/v1/me/preferences", headers=mine)).json()) == {
        "sms": True, "email": True, "preferred": "sms"}
    changed = await service.client.put("/api/v1/me/preferences", json={"sms": False},
                                       headers=mine)
    assert (await changed.json()) == {"sms": False, "email": True, "preferred": "sms"}
    second = await service.publish(confirmed(trainee=person))
    rows = await service.until_status(second.message_id, "delivered")
    assert [r["channel"] for r in rows] == ["email"]


async def test_preferences_reject_unknown_fields(start_service: StartService) -> None:
    service = await start_service()
    response = await service.client.put("/api/v1/me/preferences", json={"fax": True},
                                        headers=service.token("trainee"))
    assert response.status == 422
    assert (await response.json())["code"] == "validation_failed"


async def test_admin_sees_sign_in_messages_with_the_code_hidden(
    start_service: StartService,
) -> None:
    service = await start_service()
    envelope = await service.publish(otp(phone="+8613900139000", code="482913"))
    await service.until_status(envelope.message_id, "delivered")
    response = await service.client.get(
        "/api/v1/notifications", params={"recipient": "+8613900139000"}, headers=service.token()
    )
    (item,) = (await response.json())["items"]
    assert "482913" not in item["body"]
    assert "******" in item["body"]


async def test_admin_sees_survey_invitations_with_the_survey_code_hidden(
    start_service: StartService,
) -> None:
    service = await start_service()
    person = recipient(phone="+8613900139002")
    invitation = SurveyInvited(survey_id=new_id(), enrollment_id=new_id(), seq=1,
                               trainee=person, class_info=class_info(), code="K7P2QX9M")
    envelope = await service.publish(invitation)
    await service.until_status(envelope.message_id, "delivered")
    response = await service.client.get(
        "/api/v1/notifications", params={"recipient": "+8613900139002"}, headers=service.token()
    )
    (item,) = (await response.json())["items"]
    assert item["event_type"] == "survey.invited"
    assert "K7P2QX9M" not in item["body"]
    assert "******" in item["body"]


async def test_dev_inbox_speaks_chinese_or_english_and_finds_messages_by_part_of_a_phone(
    start_service: StartService,
) -> None:
    service = await start_service(dev_inbox=True)
    await service.publish(otp(phone="+8613900139001", code="111111"))
    await service.publish(otp(phone="+8613700137002", code="222222"))

    async def both() -> bool:
        items = (await (await service.client.get("/dev/inbox.json")).json())["items"]
        return {i["code"] for i in items} >= {"111111", "222222"}

    await service.until(both)
    chinese = await (await service.client.get("/dev/inbox")).text()
    assert '<html lang="zh-CN">' in chinese
    assert "<h1>开发收件箱</h1>" in chinese
    # Newest first: the second code stands above the first.
    assert chinese.index('data-code="222222"') < chinese.index('data-code="111111"')
    found = await (await service.client.get("/dev/inbox", params={"phone": "0139 001"})).text()
    assert 'data-code="111111"' in found
    assert 'data-code="222222"' not in found
    english = await (await service.client.get("/dev/inbox", params={"lang": "en"})).text()
    assert '<html lang="en">' in english
    assert "<h1>Dev inbox</h1>" in english
    assert "开发收件箱" not in english
    nobody = await service.client.get("/dev/inbox.json", params={"phone": "12"})
    assert (nobody.status, (await nobody.json())["code"]) == (422, "invalid_recipient")
