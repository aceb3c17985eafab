"""The early warning about training hours reaches the trainee by SMS, naming the missed dates."""

from __future__ import annotations

from datetime import date

from shared.events import catalog as c
from shared.ids import new_id
from tests.notification.conftest import StartService
from tests.notification.harness import class_info, recipient


async def test_a_trainee_at_risk_gets_an_sms_naming_the_missed_dates(
    start_service: StartService,
) -> None:
    service = await start_service(dev_inbox=True)
    warning = c.EnrollmentHoursAtRisk(
        enrollment_id=new_id(), seq=3, trainee=recipient(), class_info=class_info(),
        reasons=["missed_two_in_a_row"], missed_dates=[date(2026, 3, 9), date(2026, 3, 10)],
        minutes_attended=360, required_minutes=2400, min_attendance_ratio=0.9)
    envelope = await service.publish(warning)
    rows = await service.until_status(envelope.message_id, "delivered")
    sms = [r for r in rows if r["channel"] == "sms"]
    assert [(r["recipient"], r["provider"]) for r in sms] == [("+8613800138000", "sink")]
    assert sms[0]["body"] == ("张三，您在育婴员于3月9日、3月10日未签到，已出勤6学时，结业需36学时，"
                              "请联系培训老师。")
    inbox = await service.client.get("/dev/inbox.json", params={"phone": "13800138000"})
    assert (await inbox.json())["items"][0]["body"].startswith("【匠心培训】张三，您在育婴员")
