"""`jiangxin user create` and `jiangxin seed-demo` against the service's database."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.enrollment.support import Service


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
    svc: Service,
) -> None:
    code, out, err = await jiangxin(svc, "seed-demo")
    assert code == 0, err
    assert "7 course(s) and 8 class(es) added" in out
    assert "jiangxin-admin-demo" in out
    assert "jiangxin-trainer-demo" in out
    second = await jiangxin(svc, "seed-demo")
    assert "0 course(s) and 0 class(es) added" in second[1]
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
    assert len(demo) == 8
    assert {t["name"] for c in demo for t in c["trainers"]} == {"演示培训师"}
