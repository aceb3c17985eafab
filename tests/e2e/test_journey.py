"""The whole journey across the three services, started as `make run` starts them.

A trainee signs in with the SMS code from the dev inbox, enrols, attends and passes; the trainer
releases results; the certificate is issued, verifiable in public, and the trainee is told by
SMS. One correlation id, sent with the release request, appears in all three services' logs.
The class's trainers reach certification as `class.trainers_changed`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from services import SERVICE_NAMES
from shared.ids import new_id
from tests.support.infra import eventually
from tests.support.platform import READY_LINE, Run, start_run
from tests.support.platform import databases as databases  # the fixture

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Client:
    """Talk to the platform through the gateway, as the web front does."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
    ) -> Any:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(
            method, self.base + path, json=body, headers=all_headers
        ) as response:
            raw = await response.read()
            assert response.status == expect, f"{method} {path}: {response.status} {raw[:500]!r}"
            if response.content_type.endswith("json"):
                return json.loads(raw)
            return raw

    async def inbox(self, phone: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = await self.call(
            "GET", f"/dev/inbox/messages?phone={phone}"
        )
        return messages if isinstance(messages, list) else messages["items"]

    async def sign_in(self, phone: str) -> str:
        await self.call("POST", "/api/v1/auth/otp", body={"phone": phone}, expect=202)
        codes: list[str] = []

        async def code_arrived() -> bool:
            codes[:] = [m["code"] for m in await self.inbox(phone) if m.get("code")]
            return bool(codes)

        await eventually(code_arrived, timeout=60)
        reply = await self.call(
            "POST", "/api/v1/auth/token", body={"phone": phone, "code": codes[0]}
        )
        return str(reply["access_token"])


async def _cli(run_dir: Path, env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *args,
        cwd=run_dir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_a_trainee_goes_from_sign_in_to_a_verified_certificate_with_one_journey_id_in_logs(
    tmp_path: Path, namespace: str, databases: dict[str, str]
) -> None:
    run: Run = await start_run(tmp_path, namespace, databases, JIANGXIN_LOG_FORMAT="json")
    try:
        await run.wait_for_line(READY_LINE)
        admin_id = new_id()
        admin = (
            await _cli(
                tmp_path,
                run.env,
                "token",
                "--role",
                "admin",
                "--sub",
                str(admin_id),
                "--key",
                str(tmp_path / "var/keys/enrollment/jwt-signing.pem"),
            )
        ).strip()
        async with aiohttp.ClientSession() as http:
            api = Client(http, f"http://127.0.0.1:{run.gateway_port}")
            trainer = await api.call(
                "POST",
                "/api/v1/users",
                token=admin,
                expect=201,
                body={
                    "role": "trainer",
                    "phone": "+8613900001111",
                    "name": "王老师",
                    "password": "correct horse battery",
                },
            )
            trainer_token = (
                await api.call(
                    "POST",
                    "/api/v1/auth/token",
                    body={"phone": "+8613900001111", "password": "correct horse battery"},
                )
            )["access_token"]
            course = await api.call(
                "POST",
                "/api/v1/courses",
                token=admin,
                expect=201,
                body={
                    "code": f"E2E-{new_id().hex[-6:]}",
                    "title_zh": "育婴员（四级）",
                    "title_en": "Infant care (level 4)",
                    "category": "childcare",
                    "occupation_code": "4-10-01-02",
                    "occupation_name": "育婴员",
                    "level": 4,
                    "required_hours": 8,
                    "theory_pass": 60,
                    "practical_pass": 60,
                    "issue_policy": "auto",
                },
            )
            today = datetime.now(SHANGHAI).date()
            klass = await api.call(
                "POST",
                "/api/v1/classes",
                token=admin,
                expect=201,
                body={
                    "course_id": course["id"],
                    "trainer_ids": [trainer["id"]],
                    "capacity": 5,
                    "starts_on": str(today),
                    "ends_on": str(today),
                    "venue": "市工人文化宫 201",
                    "enroll_closes_at": (datetime.now(SHANGHAI) + timedelta(hours=2)).isoformat(),
                },
            )
            phone = "+8613800138000"
            trainee = await api.sign_in(phone)
            await api.call(
                "PATCH",
                "/api/v1/me",
                token=trainee,
                body={"name": "李小梅", "email": "xiaomei@example.com"},
            )
            enrollment = await api.call(
                "POST",
                "/api/v1/enrollments",
                token=trainee,
                expect=201,
                body={"class_id": klass["id"]},
                headers={"Idempotency-Key": str(new_id())},
            )
            assert enrollment["status"] == "confirmed"

            async def confirmation_delivered() -> bool:
                # Days pass between booking and results: the confirmation is out long before.
                # Results that overtake an unsent confirmation supersede it (the class is over),
                # as tests/notification/test_superseding.py shows.
                kinds = {m.get("event_type") for m in await api.inbox(phone)}
                return "enrollment.confirmed" in kinds

            await eventually(confirmation_delivered, timeout=60)
            await api.call(
                "PUT",
                f"/api/v1/classes/{klass['id']}/attendance/{today}",
                token=trainer_token,
                body={"records": [{"enrollment_id": enrollment["id"], "status": "present"}]},
            )
            await api.call(
                "PUT",
                f"/api/v1/enrollments/{enrollment['id']}/result",
                token=trainer_token,
                body={"theory_score": 88, "practical_score": 92},
            )
            journey = f"journey-{new_id().hex}"
            await api.call(
                "POST",
                f"/api/v1/classes/{klass['id']}/release-results",
                token=trainer_token,
                headers={"X-Correlation-ID": journey},
            )
            certificates: list[dict[str, Any]] = []

            async def issued() -> bool:
                reply = await api.call("GET", "/api/v1/me/certificates", token=trainee)
                certificates[:] = reply["items"]
                return bool(certificates)

            await eventually(issued, timeout=90)
            certificate = certificates[0]
            public = await api.call("GET", f"/api/v1/verify/{certificate['code']}")
            assert public["status"] == "valid"
            assert public["holder"] != "李小梅"  # masked
            pdf = await api.call(
                "GET", f"/api/v1/certificates/{certificate['id']}/pdf", token=trainee
            )
            assert pdf[:5] == b"%PDF-"

            async def told_by_sms() -> bool:
                kinds = {m.get("event_type") for m in await api.inbox(phone)}
                return {
                    "enrollment.confirmed",
                    "enrollment.completed",
                    "certificate.issued",
                } <= kinds

            try:
                await eventually(told_by_sms, timeout=90)
            except AssertionError:
                # Say where each message stands, so a failure on CI can be read afterwards.
                ledger = await api.call(
                    "GET", f"/api/v1/notifications?recipient={quote(phone)}", token=admin
                )
                rows = [(n["event_type"], n["channel"], n["status"], n["attempts"])
                        for n in ledger["items"]]
                tail = [x for x in run.lines if x.startswith("notification")][-40:]
                raise AssertionError(
                    f"SMS missing; ledger {rows}; notification log:\n" + "\n".join(tail)
                ) from None

            async def roster_has_number() -> bool:
                roster = await api.call(
                    "GET", f"/api/v1/classes/{klass['id']}/roster", token=trainer_token
                )
                rows = roster["items"] if isinstance(roster, dict) else roster
                return any(r.get("certificate_number") == certificate["number"] for r in rows)

            await eventually(roster_has_number, timeout=60)

        def services_logging(text: str) -> set[str]:
            return {line.split("|", 1)[0].strip() for line in run.lines if text in line}

        async def journey_everywhere() -> bool:
            return set(SERVICE_NAMES) <= services_logging(journey)

        await eventually(journey_everywhere, timeout=60, what="the journey id in all logs")

        async def trainers_reached_certification() -> bool:
            # enrollment's class.trainers_changed, through its relay and RabbitMQ
            return "certification" in services_logging("class_trainers_recorded")

        await eventually(trainers_reached_certification, timeout=60)
        assert "13800138000" not in "\n".join(run.lines)  # masked in every log line
    finally:
        await run.stop_if_running(namespace, tmp_path)
