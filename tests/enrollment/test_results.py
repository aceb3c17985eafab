"""Attendance per class day, the attendance threshold, scores and the release of results."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet

from tests.enrollment.support import Service

ID_NUMBER = "11010519491231002X"


async def setup_class(svc: Service, **course: Any) -> dict[str, Any]:
    """A five-day, 40-hour class with a trainer and four enrolled trainees."""
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    course_out = await svc.create_course(admin, required_hours=40, issue_policy="approval",
                                         **course)
    cls = await svc.create_class(admin, course_id=course_out["id"], capacity=10,
                                 trainer_ids=[str(trainer_id)])
    trainees = await svc.add_trainees(4)
    ids = [(await svc.enrol(token, cls["id"])).body["id"] for _, token in trainees]
    await svc.call("PATCH", "/api/v1/me", token=trainees[0][1],
                   json_body={"id_type": "resident_id", "id_number": ID_NUMBER})
    days = [date.fromisoformat(d) for d in cls["schedule_days"]]
    # The last class day, 18:00 in Shanghai.
    svc.clock.set(datetime.combine(days[-1], datetime.min.time(), UTC) + timedelta(hours=10))
    return {"admin": admin, "trainer": trainer, "trainer_id": trainer_id, "class": cls,
            "ids": ids, "days": days, "tokens": [t for _, t in trainees]}


async def mark(svc: Service, w: dict[str, Any], day: date, marks: dict[int, str]) -> None:
    records = [{"enrollment_id": w["ids"][i], "status": s} for i, s in marks.items()]
    reply = await svc.call("PUT", f"/api/v1/classes/{w['class']['id']}/attendance/{day}",
                           token=w["trainer"], json_body={"records": records})
    assert reply.status == 200, reply.body


async def score(svc: Service, w: dict[str, Any], i: int, theory: float, practical: float) -> None:
    reply = await svc.call("PUT", f"/api/v1/enrollments/{w['ids'][i]}/result", token=w["trainer"],
                           json_body={"theory_score": theory, "practical_score": practical})
    assert reply.status == 200, reply.body


async def attend_scenario(svc: Service, w: dict[str, Any]) -> None:
    """A: 5/5, B: 3 present + 1 late + 1 absent, C: 3/5 + 2 excused, D: never."""
    plans = {0: ["present"] * 5, 1: ["present", "late", "present", "absent", "present"],
             2: ["present", "excused", "present", "excused", "present"]}
    for n, day in enumerate(w["days"]):
        await mark(svc, w, day, {i: plan[n] for i, plan in plans.items()})
    await score(svc, w, 0, 85, 70)
    await score(svc, w, 1, 59, 90)
    await score(svc, w, 2, 90, 90)


async def release(svc: Service, w: dict[str, Any]) -> dict[str, Any]:
    reply = await svc.call("POST", f"/api/v1/classes/{w['class']['id']}/release-results",
                           token=w["trainer"])
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


async def events_of(svc: Service, enrollment_id: str, kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in await svc.events(enrollment_id) if e["type"] == kind]


async def test_the_roster_adds_up_hours_and_gates_the_exam_on_attendance(svc: Service) -> None:
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    roster = await svc.call("GET", f"/api/v1/classes/{w['class']['id']}/roster",
                            token=w["trainer"])
    entries = {e["enrollment_id"]: e for e in roster.body["items"]}
    a, b, c, d = (entries[i] for i in w["ids"])
    assert (a["hours_attended"], a["attendance_rate"], a["exam_eligible"]) == (40, 1.0, True)
    assert (b["hours_attended"], b["attendance_rate"], b["exam_eligible"]) == (32, 0.8, True)
    assert (c["hours_attended"], c["attendance_rate"], c["exam_eligible"]) == (24, 0.6, False)
    assert (d["hours_attended"], d["exam_eligible"]) == (0, False)
    assert b["attendance"][w["days"][1].isoformat()] == "late"
    assert [a["status"], d["status"]] == ["attended", "confirmed"]
    assert a["phone_masked"].startswith("+86138****")
    assert len(await events_of(svc, w["ids"][0], "enrollment.attended")) == 1


async def test_release_emits_one_completion_per_trainee_and_a_no_show(svc: Service) -> None:
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    released = await release(svc, w)
    assert (released["completed"], released["no_show"], released["corrected"]) == (3, 1, 0)
    done = [await events_of(svc, i, "enrollment.completed") for i in w["ids"]]
    assert [len(e) for e in done] == [1, 1, 1, 0]
    assert [e[0]["passed"] for e in done[:3]] == [True, False, False]
    assert len(await events_of(svc, w["ids"][3], "enrollment.no_show")) == 1
    first = done[0][0]
    assert first["result_version"] == 1
    assert (first["theory_score"], first["practical_score"]) == (85, 70)
    assert (first["hours_attended"], first["attendance_rate"]) == (40, 1)
    assert first["course"]["issue_policy"] == "approval"
    assert first["course"]["level"] == 4
    assert first["trainer_ids"] == [str(w["trainer_id"])]
    assert first["identity"]["number_masked"] == "1101**********002X"
    transport = Fernet((svc.keys / "pii-transport.key").read_bytes())
    assert transport.decrypt(first["identity"]["number_encrypted"].encode()).decode() == ID_NUMBER
    assert done[1][0]["identity"] is None
    mine = await svc.call("GET", f"/api/v1/enrollments/{w['ids'][0]}", token=w["tokens"][0])
    assert mine.body["status"] == "completed"
    assert mine.body["result"]["passed"] is True


async def test_a_score_correction_is_re_sent_with_the_next_result_version(svc: Service) -> None:
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    await release(svc, w)
    again = await release(svc, w)
    assert (again["completed"], again["corrected"], again["unchanged"]) == (0, 0, 4)
    await score(svc, w, 1, 65, 90)
    corrected = await release(svc, w)
    assert (corrected["corrected"], corrected["unchanged"]) == (1, 3)
    versions = [e["result_version"] for e in await events_of(svc, w["ids"][1],
                                                              "enrollment.completed")]
    assert versions == [1, 2]
    latest = (await events_of(svc, w["ids"][1], "enrollment.completed"))[-1]
    assert latest["passed"] is True
    assert len(await events_of(svc, w["ids"][0], "enrollment.completed")) == 1


async def test_a_completion_names_who_released_it_and_who_last_entered_the_scores(
    svc: Service,
) -> None:
    """Four eyes: certification refuses an approval by either of them, so each event says who."""
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    admin_id, admin = await svc.add_user("admin", name="管理员")
    scored = await svc.call("PUT", f"/api/v1/enrollments/{w['ids'][0]}/result", token=admin,
                            json_body={"theory_score": 95, "practical_score": 70})
    assert scored.status == 200, scored.body
    await release(svc, w)
    by_admin = await events_of(svc, w["ids"][0], "enrollment.completed")
    by_trainer = await events_of(svc, w["ids"][1], "enrollment.completed")
    assert (by_admin[0]["released_by"], by_admin[0]["scored_by"]) == (
        str(w["trainer_id"]), str(admin_id))
    assert by_trainer[0]["scored_by"] == str(w["trainer_id"])
    # The admin releases a correction the trainer entered: the next version says so.
    await score(svc, w, 0, 96, 70)
    released = await svc.call("POST", f"/api/v1/classes/{w['class']['id']}/release-results",
                              token=admin)
    assert released.status == 200, released.body
    latest = (await events_of(svc, w["ids"][0], "enrollment.completed"))[-1]
    assert (latest["result_version"], latest["released_by"], latest["scored_by"]) == (
        2, str(admin_id), str(w["trainer_id"]))


async def test_a_completion_names_everyone_who_entered_a_score_or_marked_attendance(
    svc: Service,
) -> None:
    """Four eyes: not only the last scorer; attendance decides the hours, so its markers too."""
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    marker_id, marker = await svc.add_user("admin", name="考勤员")
    scorer_id, scorer = await svc.add_user("admin", name="录分员")
    first_day = w["days"][0].isoformat()
    marked = await svc.call("PUT", f"/api/v1/classes/{w['class']['id']}/attendance/{first_day}",
                            token=marker, json_body={"records": [
                                {"enrollment_id": w["ids"][0], "status": "late"}]})
    assert marked.status == 200, marked.body
    scored = await svc.call("PUT", f"/api/v1/enrollments/{w['ids'][0]}/result", token=scorer,
                            json_body={"theory_score": 40, "practical_score": 70})
    assert scored.status == 200, scored.body
    await score(svc, w, 0, 85, 70)  # the trainer puts it back: the last scorer again
    await release(svc, w)
    [first] = await events_of(svc, w["ids"][0], "enrollment.completed")
    [other] = await events_of(svc, w["ids"][1], "enrollment.completed")
    trainer = str(w["trainer_id"])
    assert first["scored_by"] == trainer
    assert sorted(first["scorers"]) == sorted([trainer, str(scorer_id)])
    assert sorted(first["attendance_markers"]) == sorted([trainer, str(marker_id)])
    assert (other["scorers"], other["attendance_markers"]) == ([trainer], [trainer])
    # A correction by someone new goes out with everyone so far.
    corrected = await svc.call("PUT", f"/api/v1/enrollments/{w['ids'][1]}/result", token=marker,
                               json_body={"theory_score": 65, "practical_score": 90})
    assert corrected.status == 200, corrected.body
    await release(svc, w)
    latest = (await events_of(svc, w["ids"][1], "enrollment.completed"))[-1]
    assert latest["result_version"] == 2
    assert sorted(latest["scorers"]) == sorted([trainer, str(marker_id)])


async def test_a_course_threshold_lets_lower_attendance_sit_the_exam(svc: Service) -> None:
    w = await setup_class(svc, attendance_threshold=0.6)
    await attend_scenario(svc, w)
    await release(svc, w)
    third = await events_of(svc, w["ids"][2], "enrollment.completed")
    assert third[0]["passed"] is True


async def test_release_waits_for_the_scores_of_every_eligible_trainee(svc: Service) -> None:
    w = await setup_class(svc)
    for day in w["days"]:
        await mark(svc, w, day, {0: "present"})
    reply = await svc.call("POST", f"/api/v1/classes/{w['class']['id']}/release-results",
                           token=w["trainer"])
    assert reply.status == 409
    assert reply.body["code"] == "results_incomplete"
    assert reply.body["enrollment_ids"] == [w["ids"][0]]


async def test_attendance_is_refused_for_future_days_and_foreign_enrollments(
    svc: Service,
) -> None:
    w = await setup_class(svc)
    svc.clock.set(datetime.combine(w["days"][0], datetime.min.time(), UTC) + timedelta(hours=3))
    future = await svc.call("PUT", f"/api/v1/classes/{w['class']['id']}/attendance/"
                            f"{w['days'][1]}", token=w["trainer"],
                            json_body={"records": [{"enrollment_id": w["ids"][0],
                                                    "status": "present"}]})
    assert future.status == 422
    assert future.body["code"] == "day_in_future"
    other = await svc.create_class(w["admin"])
    _, outsider = await svc.add_user()
    foreign = (await svc.enrol(outsider, other["id"])).body["id"]
    reply = await svc.call("PUT", f"/api/v1/classes/{w['class']['id']}/attendance/"
                           f"{w['days'][0]}", token=w["trainer"],
                           json_body={"records": [{"enrollment_id": foreign,
                                                   "status": "present"}]})
    assert reply.status == 422
    assert reply.body["code"] == "unknown_enrollment"


async def test_release_is_refused_until_the_last_class_day_has_begun_in_shanghai(
    svc: Service,
) -> None:
    w = await setup_class(svc)
    first, last = w["days"][0], w["days"][-1]
    url = f"/api/v1/classes/{w['class']['id']}/release-results"
    everyone = {0: "present", 1: "present", 2: "excused", 3: "present"}
    svc.clock.set(datetime.combine(first, datetime.min.time(), UTC) + timedelta(hours=4))
    await mark(svc, w, first, everyone)
    for i in range(4):
        await score(svc, w, i, 80, 80)
    early = await svc.call("POST", url, token=w["trainer"])
    assert early.status == 409
    assert early.content_type == "application/problem+json"
    assert early.body["code"] == "class_not_finished"
    assert early.body["ends_on"] == last.isoformat()
    # 23:30 in Shanghai on the day before the last one is still too early.
    svc.clock.set(datetime.combine(last, datetime.min.time(), UTC) - timedelta(hours=8, minutes=30))
    for day in w["days"][1:-1]:
        await mark(svc, w, day, everyone)
    eve = await svc.call("POST", url, token=w["trainer"])
    assert (eve.status, eve.body["code"]) == (409, "class_not_finished")
    released_kinds = {"enrollment.completed", "enrollment.no_show"}
    for i in w["ids"]:
        assert [e for e in await svc.events(i) if e["type"] in released_kinds] == []
    # 01:00 in Shanghai on the last day (17:00 UTC the day before): the exam day has begun.
    svc.clock.set(datetime.combine(last, datetime.min.time(), UTC) - timedelta(hours=7))
    await mark(svc, w, last, everyone)
    released = await release(svc, w)
    assert (released["completed"], released["no_show"]) == (3, 1)
    done = [await events_of(svc, w["ids"][i], "enrollment.completed") for i in (0, 1, 3)]
    assert [d[0]["passed"] for d in done] == [True, True, True]


async def test_release_is_refused_while_a_class_day_has_no_attendance_taken(
    svc: Service,
) -> None:
    w = await setup_class(svc)
    taken = [w["days"][0], w["days"][2], w["days"][4]]
    for day in taken:
        await mark(svc, w, day, {0: "present", 1: "excused"})
    await score(svc, w, 0, 80, 80)
    url = f"/api/v1/classes/{w['class']['id']}/release-results"
    refused = await svc.call("POST", url, token=w["trainer"])
    assert refused.status == 409
    assert refused.body["code"] == "attendance_incomplete"
    assert refused.body["dates"] == [w["days"][1].isoformat(), w["days"][3].isoformat()]
    for day in (w["days"][1], w["days"][3]):
        await mark(svc, w, day, {0: "present", 1: "excused"})
    released = await release(svc, w)
    assert (released["completed"], released["no_show"]) == (1, 3)


async def test_saving_a_sheet_again_makes_the_saver_an_author_only_of_what_it_changed(
    svc: Service,
) -> None:
    """The attendance page saves the whole day: an admin correcting one trainee's mark must
    not become an author of everyone's (and so unable to approve any of their certificates)."""
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    saver_id, saver = await svc.add_user("admin", name="管理员")
    first_day = w["days"][0].isoformat()
    saved = await svc.call("PUT", f"/api/v1/classes/{w['class']['id']}/attendance/{first_day}",
                           token=saver, json_body={"records": [
                               {"enrollment_id": w["ids"][0], "status": "present"},  # as it was
                               {"enrollment_id": w["ids"][1], "status": "late"},  # was present
                               {"enrollment_id": w["ids"][2], "status": "present"}]})
    assert saved.status == 200, saved.body
    same = await svc.call("PUT", f"/api/v1/enrollments/{w['ids'][2]}/result", token=saver,
                          json_body={"theory_score": 90, "practical_score": 90})  # as they were
    assert same.status == 200, same.body
    await release(svc, w)
    trainer = str(w["trainer_id"])
    completions = [(await events_of(svc, w["ids"][i], "enrollment.completed"))[0]
                   for i in range(3)]
    assert [c["attendance_markers"] for c in completions] == [
        [trainer], [trainer, str(saver_id)], [trainer]]  # in the order they first marked
    assert [(c["scorers"], c["scored_by"]) for c in completions] == [([trainer], trainer)] * 3


async def test_work_done_through_a_process_of_the_release_before_still_names_its_authors(
    svc: Service,
) -> None:
    """During a rolling upgrade an older process marks and scores without author rows: the
    release still names whom the marks and scores themselves name."""
    w = await setup_class(svc)
    await attend_scenario(svc, w)
    await svc.pool.execute("DELETE FROM result_authors")  # as if written by the older release
    await release(svc, w)
    first = (await events_of(svc, w["ids"][0], "enrollment.completed"))[0]
    trainer = str(w["trainer_id"])
    assert (first["scorers"], first["attendance_markers"]) == ([trainer], [trainer])
