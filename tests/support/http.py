"""Drive a running platform through its gateway, as the web front and staff tools do."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from shared.auth import TokenIssuer
from shared.ids import new_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
TRAINER_PASSWORD = "correct horse battery"


class Unexpected(AssertionError):
    """The platform answered with another status than the caller expected."""

    def __init__(self, method: str, path: str, status: int, raw: bytes) -> None:
        super().__init__(f"{method} {path}: {status} {raw[:500]!r}")
        self.status = status


class PlatformClient:
    """Requests to one gateway; JSON answers are decoded."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base

    async def call(
        self, method: str, path: str, *, token: str | None = None, body: Any = None,
        headers: dict[str, str] | None = None, expect: int = 200,
    ) -> Any:
        """Send one request; fail unless the status is `expect`."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.base + path, json=body, headers=sent) as resp:
            raw = await resp.read()
            if resp.status != expect:
                raise Unexpected(method, path, resp.status, raw)
            return json.loads(raw) if resp.content_type.endswith("json") else raw


def admin_token(keys: Path) -> str:
    """Mint an administrator's token with the platform's signing key (as `jiangxin token`);
    `keys` is the var/keys of the run (the key is in enrollment's folder)."""
    issuer = TokenIssuer((keys / "enrollment" / "jwt-signing.pem").read_bytes(), issuer="jiangxin",
                         audience="jiangxin")
    return issuer.mint(new_id(), "admin", name="Ops")


@dataclass(frozen=True)
class Classroom:
    """A class set up for a test: its id, its trainer's token."""

    class_id: str
    trainer: str


async def open_class(
    api: PlatformClient, admin: str, *, capacity: int, phone: str, in_days: int = 0
) -> Classroom:
    """Create a trainer, an auto-issuing course and a one-day class (today unless `in_days`),
    open for enrolment."""
    trainer = await api.call("POST", "/api/v1/users", token=admin, expect=201, body={
        "role": "trainer", "phone": phone, "name": "王老师", "password": TRAINER_PASSWORD,
    })
    signed_in = await api.call("POST", "/api/v1/auth/token",
                               body={"phone": phone, "password": TRAINER_PASSWORD})
    course = await api.call("POST", "/api/v1/courses", token=admin, expect=201, body={
        "code": f"T-{new_id().hex[-8:]}", "title_zh": "育婴员（四级）",
        "title_en": "Infant care (level 4)", "category": "childcare",
        "occupation_code": "4-10-01-02", "occupation_name": "育婴员", "level": 4,
        "required_hours": 8, "issue_policy": "auto",
    })
    now = datetime.now(SHANGHAI)
    day = str(now.date() + timedelta(days=in_days))
    klass = await api.call("POST", "/api/v1/classes", token=admin, expect=201, body={
        "course_id": course["id"], "trainer_ids": [trainer["id"]], "capacity": capacity,
        "starts_on": day, "ends_on": day, "venue": "市工人文化宫 201",
        "enroll_closes_at": (now + timedelta(hours=6)).isoformat(),
    })
    return Classroom(klass["id"], signed_in["access_token"])


async def enrol_by_admin(
    api: PlatformClient, admin: str, class_id: str, *, phone: str, name: str
) -> dict[str, Any]:
    """Enrol a trainee by phone as an administrator (the account is made if needed)."""
    reply: dict[str, Any] = await api.call(
        "POST", f"/api/v1/classes/{class_id}/enrollments", token=admin, expect=201,
        body={"phone": phone, "name": name},
    )
    return reply


async def pass_and_release(
    api: PlatformClient, room: Classroom, enrollment_ids: list[str]
) -> None:
    """Mark the trainees present today, give them passing scores and release the results."""
    today = datetime.now(SHANGHAI).date()
    await api.call("PUT", f"/api/v1/classes/{room.class_id}/attendance/{today}",
                   token=room.trainer,
                   body={"records": [{"enrollment_id": e, "status": "present"}
                                     for e in enrollment_ids]})
    for enrollment_id in enrollment_ids:
        await api.call("PUT", f"/api/v1/enrollments/{enrollment_id}/result", token=room.trainer,
                       body={"theory_score": 88, "practical_score": 92})
    await api.call("POST", f"/api/v1/classes/{room.class_id}/release-results",
                   token=room.trainer)


async def cli(workdir: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run a `jiangxin` command as an operator would; return its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args, cwd=workdir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def ledger_check(
    workdir: Path, env: dict[str, str], *, older_than: float = 0
) -> tuple[int, dict[str, Any]]:
    """Run `jiangxin ledger check --json`; return its exit code and report."""
    code, out = await cli(workdir, env, "ledger", "check", "--json", "--older-than",
                          str(older_than))
    assert code in (0, 1), (code, out)
    report: dict[str, Any] = json.loads(out)
    return code, report


def discrepancies(report: dict[str, Any], kind: str) -> list[dict[str, str]]:
    """Return the ids of every discrepancy of one kind in a report."""
    return [d["ids"] for d in report["discrepancies"] if d["kind"] == kind]
