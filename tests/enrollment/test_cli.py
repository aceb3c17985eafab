"""`jiangxin user create` and `jiangxin seed-demo` against the service's database."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime

from tests.enrollment.conftest import StartService
from tests.enrollment.support import Service
from tests.support.http import SHANGHAI
from tests.support.log_guard import record_output


async def jiangxin(svc: Service, *args: str) -> tuple[int, str, str]:
    """Run a `jiangxin` command on the service's database; return (code, stdout, stderr)."""
    settings = svc.deps.settings
    env = {**os.environ,
           "JIANGXIN_ENROLLMENT_DATABASE_URL": settings.database_url,
           "JIANGXIN_ENROLLMENT_JWT_PRIVATE_KEY_FILE": str(settings.jwt_private_key_file),
           "JIANGXIN_ENROLLMENT_PII_AT_REST_KEY_FILE": str(settings.pii_at_rest_key_file),
           "JIANGXIN_ENROLLMENT_PII_TRANSPORT_KEY_FILE": str(settings.pii_transport_key_file)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    record_output("jiangxin", err)  # its log; stdout is the command's answer
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_user_create_makes_a_trainer_who_signs_in_with_the_password(svc: Service) -> None:
    code, out, err = await jiangxin(svc, "user", "create", "--role", "trainer", "--phone",
                                    "13877776666", "--name", "刘老师", "--password",
                                    "s3cret-enough")
    assert code == 0, err
    assert out.startswith("created trainer ")
    reply = await svc.call("POST", "/api/v1/auth/token",
                           json_body={"phone": "13877776666", "password": "s3cret-enough"})
    assert reply.body["user"]["role"] == "trainer"
    again = await jiangxin(svc, "user", "create", "--role", "trainer", "--phone", "13877776666",
                           "--name", "x", "--password", "s3cret-enough")
    assert again[0] == 1
    assert "phone_taken" in again[2]


async def test_seed_demo_loads_the_catalogue_once_and_prints_demo_passwords(
    start_service: StartService,
) -> None:
    svc = await start_service()
    code, out, err = await jiangxin(svc, "seed-demo")
    assert code == 0, err
    assert "7 course(s) and 9 class(es) added" in out
    assert "jiangxin-admin-demo (created)" in out
    assert "jiangxin-trainer-demo (created)" in out
    courses = await svc.call("GET", "/api/v1/courses?limit=100")
    by_code = {c["code"]: c for c in courses.body["items"]}
    assert by_code["LIVE-SALES"]["occupation_code"] == "4-01-02-07"
    assert by_code["LIVE-SALES"]["work_type"] == "直播销售员"
    assert by_code["LIVE-SALES"]["level_label"] == "四级/中级工"
    assert by_code["ETIQUETTE"]["level"] is None
    assert by_code["ETIQUETTE"]["certificate_kind"] == "training"
    admin = await svc.call("POST", "/api/v1/auth/token", json_body={
        "phone": "+8613800138001", "password": "jiangxin-admin-demo"})
    assert admin.body["user"]["role"] == "admin"
    seeded = {c["id"] for c in by_code.values()}
    classes = await svc.call("GET", "/api/v1/classes?limit=100")
    demo = [c for c in classes.body["items"] if c["course_id"] in seeded]
    assert len(demo) == 9
    assert {t["name"] for c in demo for t in c["trainers"]} == {"演示培训师"}
    # Plausible school days: no class is taught for more than 9 hours a day, and no class
    # name carries a year that its dates may contradict.
    assert max(c["hours_per_day"] for c in demo) <= 9, [(c["course"]["code"], c["hours_per_day"])
                                                        for c in demo]
    assert not any("年" in c["name"] for c in demo), [c["name"] for c in demo]

    # One class runs today (Beijing time) with the demo trainer and a few trainees, so the
    # trainer can mark attendance at once.
    today = datetime.now(SHANGHAI).date()
    running = [c for c in demo if c["starts_on"] <= today.isoformat() <= c["ends_on"]]
    assert len(running) == 1, [(c["course"]["code"], c["starts_on"]) for c in demo]
    assert [t["name"] for t in running[0]["trainers"]] == ["演示培训师"]
    trainer = (await svc.call("POST", "/api/v1/auth/token", json_body={
        "phone": "+8613800138002", "password": "jiangxin-trainer-demo"})).body["access_token"]
    roster = await svc.call("GET", f"/api/v1/classes/{running[0]['id']}/roster", token=trainer)
    assert [(e["name"], e["status"]) for e in roster.body["items"]] == [
        ("演示学员甲", "confirmed"), ("演示学员乙", "confirmed"), ("演示学员丙", "confirmed")]
    svc.clock.set(datetime.now(UTC))  # the command ran on the real clock
    marked = await svc.call(
        "PUT", f"/api/v1/classes/{running[0]['id']}/attendance/{today.isoformat()}",
        token=trainer, json_body={"records": [
            {"enrollment_id": e["enrollment_id"], "status": "present"}
            for e in roster.body["items"]]})
    assert marked.status == 200, marked.body
    assert "+8613800138101" in out

    # Someone tries the demo: signs up and enrols. Seeding again is still allowed.
    svc.clock.set(datetime.now(UTC))  # the command ran on the real clock
    _, trainee = await svc.add_user(name="试用学员")
    assert (await svc.enrol(trainee, demo[0]["id"])).status == 201
    second = await jiangxin(svc, "seed-demo")
    assert second[0] == 0, second[2]
    assert "0 course(s) and 0 class(es) added" in second[1]
    assert "jiangxin-admin-demo (existing admin account)" in second[1]
    assert "jiangxin-trainer-demo (existing trainer account)" in second[1]


async def test_seed_demo_refuses_a_database_with_other_data_unless_forced(
    start_service: StartService,
) -> None:
    svc = await start_service()
    admin = await svc.admin_token()
    await svc.create_course(admin, code="REAL-101")
    code, out, err = await jiangxin(svc, "seed-demo")
    assert code == 1
    assert "not demo data (1 course(s), 0 class(es), 1 staff account(s))" in err
    assert "seed-demo --force" in err
    assert "not_a_demo_database" in err
    assert out == ""
    assert await svc.pool.fetchval("SELECT count(*) FROM courses") == 1
    assert await svc.pool.fetchval(
        "SELECT count(*) FROM users WHERE phone LIKE '+86138001380%'") == 0

    forced = await jiangxin(svc, "seed-demo", "--force")
    assert forced[0] == 0, forced[2]
    assert "7 course(s) and 9 class(es) added" in forced[1]
    assert "--force" in forced[2]


async def test_seed_demo_never_changes_an_existing_account_on_a_demo_number(
    start_service: StartService,
) -> None:
    svc = await start_service()
    created = await jiangxin(svc, "user", "create", "--role", "admin", "--phone",
                             "+8613800138001", "--name", "真管理员", "--password", "my own secret")
    assert created[0] == 0, created[2]
    await svc.add_user(phone="+8613800138002", name="学员")  # a trainee owns the trainer's number
    before = await svc.pool.fetch(
        "SELECT * FROM users WHERE phone LIKE '+86138001380%' ORDER BY phone")

    for _ in range(2):
        code, out, err = await jiangxin(svc, "seed-demo")
        assert code == 0, err
        assert "jiangxin-admin-demo" not in out
        assert "+8613800138001 belongs to an existing admin account with its own password" in out
        assert "+8613800138002 belongs to an existing trainee account" in out
    assert await svc.pool.fetch(
        "SELECT * FROM users WHERE phone LIKE '+86138001380%' ORDER BY phone") == before
    own = await svc.call("POST", "/api/v1/auth/token", json_body={
        "phone": "+8613800138001", "password": "my own secret"})
    assert own.status == 200
    demo = await svc.call("POST", "/api/v1/auth/token", json_body={
        "phone": "+8613800138001", "password": "jiangxin-admin-demo"})
    assert demo.status == 401
    classes = await svc.call("GET", "/api/v1/classes?limit=100")
    assert len(classes.body["items"]) == 9
    assert all(c["trainers"] == [] for c in classes.body["items"])
