"""The survey after a class: invited once per completed enrolment, answered once, results per
class and per trainer (JSON and CSV), the optional employment question six months on."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any
from uuid import UUID

from services.enrollment.handlers import surveys
from tests.enrollment.support import Service

ANSWER = {"content": 5, "trainer": 4, "venue": 3, "usefulness": 5, "recommend": 4,
          "comment": "实操时间再多一点就好了"}


async def completed_class(svc: Service, trainees: int) -> tuple[dict[str, Any], Any, list[Any]]:
    """A class with a trainer whose trainees completed it; return (class, trainer, trainees)."""
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="刘老师")
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    people = await svc.add_trainees(trainees)
    for _, token in people:
        assert (await svc.enrol(token, cls["id"])).status == 201
    # Results were released (tests/enrollment/test_results.py covers how): completed.
    await svc.pool.execute("UPDATE enrollments SET status = 'completed', updated_at = $2 "
                           "WHERE class_id = $1", UUID(cls["id"]), svc.clock.now())
    return cls, trainer, people


async def invitations(svc: Service, class_id: str) -> list[dict[str, Any]]:
    """Return the class's survey invitations in the outbox."""
    return [e["data"] for e in await svc.events() if e["type"] == "survey.invited"
            and e["data"]["class_info"]["class_id"] == class_id]


async def test_each_completed_enrollment_is_invited_once_even_by_two_jobs_at_once(
    svc: Service,
) -> None:
    cls, _, _ = await completed_class(svc, 3)
    counts = await asyncio.gather(surveys.invite_completed(deps=svc.deps),
                                  surveys.invite_completed(deps=svc.deps))
    assert sum(counts) >= 3
    assert await surveys.invite_completed(deps=svc.deps) == 0
    sent = await invitations(svc, cls["id"])
    assert len(sent) == 3
    assert len({e["enrollment_id"] for e in sent}) == 3
    assert all(len(e["code"]) == 8 for e in sent)


async def test_a_survey_is_answered_once_and_shows_in_the_class_and_trainer_results(
    svc: Service,
) -> None:
    cls, trainer, people = await completed_class(svc, 2)
    await surveys.invite_completed(deps=svc.deps)
    mine = await svc.call("GET", "/api/v1/me/surveys", token=people[0][1])
    code = mine.body["items"][0]["code"]
    opened = await svc.call("GET", f"/api/v1/surveys/{code.lower()}")
    assert opened.status == 200
    assert [q["key"] for q in opened.body["questions"]] == [
        "content", "trainer", "venue", "usefulness", "recommend"]
    answered = await svc.call("POST", f"/api/v1/surveys/{code}", json_body=ANSWER)
    assert answered.status == 200, answered.body
    assert answered.body["answered"] is True
    again = await svc.call("POST", f"/api/v1/surveys/{code}", json_body=ANSWER)
    assert (again.status, again.body["code"]) == (409, "survey_answered")
    bad = await svc.call("POST", f"/api/v1/surveys/{code}", json_body={**ANSWER, "venue": 6})
    assert bad.status == 422
    missing = await svc.call("GET", "/api/v1/surveys/NOSUCH99")
    assert (missing.status, missing.body["code"]) == (404, "survey_not_found")

    results = await svc.call("GET", f"/api/v1/classes/{cls['id']}/survey-results",
                             token=trainer)
    row = results.body["rows"][0]
    assert (row["invited"], row["answers"]) == (2, 1)
    assert row["averages"] == {"content": 5.0, "trainer": 4.0, "venue": 3.0,
                               "usefulness": 5.0, "recommend": 4.0}
    assert results.body["comments"] == [ANSWER["comment"]]
    _, stranger = await svc.add_user("trainer", name="别的老师")
    refused = await svc.call("GET", f"/api/v1/classes/{cls['id']}/survey-results",
                             token=stranger)
    assert refused.status == 403
    exported = await svc.call("GET", f"/api/v1/classes/{cls['id']}/survey-results.csv",
                              token=trainer)
    lines = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig"))))
    assert lines[0][:4] == ["班次", "编号", "已邀请", "已回答"]
    assert lines[1][2:9] == ["2", "1", "5.0", "4.0", "3.0", "5.0", "4.0"]

    admin = await svc.admin_token()
    by_trainer = await svc.call("GET", "/api/v1/admin/survey-results", token=admin)
    liu = [r for r in by_trainer.body["rows"] if r["label"] == "刘老师"
           and r["answers"] == 1 and r["averages"]["venue"] == 3.0]
    assert liu
    assert (await svc.call("GET", "/api/v1/admin/survey-results.csv", token=admin)).status == 200


async def test_the_employment_question_comes_six_months_on_and_is_answered_once(
    svc: Service,
) -> None:
    cls, _, people = await completed_class(svc, 1)
    await surveys.invite_completed(deps=svc.deps)
    code = (await svc.call("GET", "/api/v1/me/surveys", token=people[0][1])).body["items"][0][
        "code"]
    early = await svc.call("POST", f"/api/v1/surveys/{code}/employment",
                           json_body={"working_in_occupation": True})
    assert (early.status, early.body["code"]) == (409, "followup_not_due")
    svc.clock.advance(days=180)
    await surveys.send_followups(deps=svc.deps)
    assert not [e for e in await svc.events() if e["type"] == "survey.followup_due"
                and e["data"]["code"] == code]  # not six months yet
    svc.clock.advance(days=5)
    await surveys.send_followups(deps=svc.deps)
    asked = [e for e in await svc.events() if e["type"] == "survey.followup_due"
             and e["data"]["code"] == code]
    assert len(asked) == 1
    assert await surveys.send_followups(deps=svc.deps) == 0
    answered = await svc.call("POST", f"/api/v1/surveys/{code}/employment",
                              json_body={"working_in_occupation": True})
    assert answered.status == 200
    twice = await svc.call("POST", f"/api/v1/surveys/{code}/employment",
                           json_body={"working_in_occupation": False})
    assert (twice.status, twice.body["code"]) == (409, "followup_answered")
    admin = await svc.admin_token()
    results = await svc.call("GET", f"/api/v1/classes/{cls['id']}/survey-results", token=admin)
    row = results.body["rows"][0]
    assert (row["followup_answers"], row["working_in_occupation"]) == (1, 1)
