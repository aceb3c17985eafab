"""The catalogue's categories come from the server, named in both languages, with the classes
open now counted; the open list pages by start date with the category filter on the server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.ids import new_id
from tests.enrollment.support import Service, today_plus


def _of(reply_body: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((c for c in reply_body["items"] if c["code"] == code), None)


async def test_a_category_is_named_in_both_languages_and_counts_only_classes_open_now(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    code = f"cat-{new_id().hex[-8:]}"
    await svc.pool.execute(
        "INSERT INTO course_categories (code, name_zh, name_en) VALUES ($1, '直播销售', "
        "'Livestream sales')", code)
    course = await svc.create_course(admin, category=code)
    await svc.create_class(admin, course_id=course["id"])
    cancelled = await svc.create_class(admin, course_id=course["id"])
    reply = await svc.call("POST", f"/api/v1/classes/{cancelled['id']}/cancel", token=admin,
                           json_body={"reason": "场地维修"})
    assert reply.status == 200, reply.body
    later = svc.clock.now() + timedelta(hours=2)
    await svc.create_class(admin, course_id=course["id"], enroll_opens_at=later.isoformat())

    listed = (await svc.call("GET", "/api/v1/categories")).body
    assert _of(listed, code) == {"code": code, "name_zh": "直播销售", "name_en": "Livestream sales",
                                 "open_classes": 1}
    svc.clock.advance(hours=3)
    listed = (await svc.call("GET", "/api/v1/categories")).body
    assert _of(listed, code) == {"code": code, "name_zh": "直播销售", "name_en": "Livestream sales",
                                 "open_classes": 2}


async def test_a_category_nobody_named_is_listed_under_its_code(svc: Service) -> None:
    admin = await svc.admin_token()
    code = f"餐饮{new_id().hex[-6:]}"
    await svc.create_course(admin, category=code)
    listed = (await svc.call("GET", "/api/v1/categories")).body
    assert _of(listed, code) == {"code": code, "name_zh": code, "name_en": code,
                                 "open_classes": 0}


async def test_the_open_list_pages_by_start_date_within_a_category(svc: Service) -> None:
    admin = await svc.admin_token()
    code = f"cat-{new_id().hex[-8:]}"
    course = await svc.create_course(admin, category=code, required_hours=8)
    other = await svc.create_course(admin, category=f"{code}-other")
    starts = [today_plus(svc.clock, d) for d in (9, 3, 6)]
    made = [await svc.create_class(admin, course_id=course["id"], starts_on=s.isoformat(),
                                   ends_on=s.isoformat()) for s in starts]
    await svc.create_class(admin, course_id=other["id"])
    expected = [c["id"] for c in sorted(made, key=lambda c: c["starts_on"])]

    first = (await svc.call("GET", f"/api/v1/classes?open=true&category={code}&limit=2")).body
    assert [c["id"] for c in first["items"]] == expected[:2]
    rest = (await svc.call("GET", f"/api/v1/classes?open=true&category={code}&limit=2"
                                  f"&cursor={first['next_cursor']}")).body
    assert [c["id"] for c in rest["items"]] == expected[2:]
    assert rest["next_cursor"] is None
    # The same page through the general query (a search forces it) as through the fast one.
    searched = (await svc.call("GET", f"/api/v1/classes?open=true&category={code}&q=直播")).body
    assert [c["id"] for c in searched["items"]] == expected
