"""An SMS provider and an SMTP server the long tests control: up, down, slow, refusing.

The SMS side is the Aliyun stand-in of tests/notification/fakes.py (it checks every signature
as Aliyun does and answers QuerySendDetails from what it took) served on a fixed port, so it
can be taken down (connection refused) and brought back where the platform expects it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from services.notification.templates.variables import SPECS
from tests.deploy.manifests import free_port
from tests.notification import fakes

TEMPLATES = {spec.event_type: f"SMS_{i:04d}" for i, spec in enumerate(SPECS)}
RECEIPT_TOKEN = "long-test-receipt-token"
TAKEN = ("ok", "slow")  # answers after which the provider holds the message


class Aliyun:
    """The Aliyun stand-in on a port of its own."""

    def __init__(self) -> None:
        self.fake = fakes.FakeSms()
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def settings(self) -> dict[str, str]:
        """Return the notification settings that send every SMS here."""
        return {
            "JIANGXIN_NOTIFICATION_SMS_PROVIDERS": '["aliyun"]',
            "JIANGXIN_NOTIFICATION_ALIYUN_ENDPOINT": f"http://127.0.0.1:{self.port}/",
            "JIANGXIN_NOTIFICATION_ALIYUN_ACCESS_KEY_ID": fakes.ALIYUN_KEY_ID,
            "JIANGXIN_NOTIFICATION_ALIYUN_ACCESS_KEY_SECRET": fakes.ALIYUN_SECRET,
            "JIANGXIN_NOTIFICATION_ALIYUN_SIGN_NAME": "匠心培训",
            "JIANGXIN_NOTIFICATION_ALIYUN_TEMPLATES": json.dumps(TEMPLATES),
            "JIANGXIN_NOTIFICATION_RECEIPT_TOKEN": RECEIPT_TOKEN,
        }

    async def start(self) -> None:
        """Answer on the port (again)."""
        runner = web.AppRunner(fakes.aliyun_app(self.fake))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True).start()
        self._runner = runner

    async def stop(self) -> None:
        """Stop answering: connections are refused until `start`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def answer_in(self, seconds: float | None) -> None:
        """Take every message `seconds` after it arrives, or at once (None)."""
        self.fake.behaviour.default = "ok" if seconds is None else "slow"
        self.fake.behaviour.slow_s = seconds or 0.0

    def taken(self) -> list[dict[str, Any]]:
        """Return every SendSms call the provider took (the phone received it)."""
        return [c for c in self.fake.calls if c["answer"] in TAKEN]

    def code_for(self, phone: str) -> str | None:
        """Return the last sign-in code sent to a phone, as its owner reads it."""
        digits = phone.removeprefix("+86")
        for call in reversed(self.fake.calls):
            if call["PhoneNumbers"] == digits and "code" in call["TemplateParam"]:
                return str(call["TemplateParam"]["code"])
        return None

    def received(self, phone: str, event_type: str) -> int:
        """Return how many messages of one event type a phone received."""
        digits, template = phone.removeprefix("+86"), TEMPLATES[event_type]
        return sum(
            1 for c in self.taken()
            if c["PhoneNumbers"] == digits and c["TemplateCode"] == template
        )

    def sent_twice(self) -> list[str]:
        """Return the ledger ids (OutId) the provider took more than once: double SMS."""
        return [out for out, n in Counter(c["OutId"] for c in self.taken()).items() if n > 1]


@dataclass
class Smtp:
    """A real SMTP server (aiosmtpd) answering DATA with `answer` (250, 451, 550 ...)."""

    answer: int = 250
    messages: list[dict[str, Any]] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer != 250:
            self.refused[self.answer] += 1
            return f"{self.answer} {'try again later' if self.answer < 500 else 'rejected'}"
        self.messages.append({"to": list(envelope.rcpt_tos), "data": envelope.content})
        return "250 OK"

    def received(self, address: str) -> int:
        """Return how many messages reached one mailbox."""
        return sum(1 for m in self.messages if address in m["to"])

    def message_ids(self) -> Counter[str]:
        """Count the Message-ID headers of the mail taken (one per ledger row if no resend)."""
        ids: Counter[str] = Counter()
        for message in self.messages:
            data = message["data"].decode(errors="replace")
            ids.update(line.split(":", 1)[1].strip() for line in data.splitlines()
                       if line.lower().startswith("message-id:"))
        return ids


def start_smtp(handler: Smtp) -> Controller:
    """Start aiosmtpd in its own thread on a free port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def smtp_settings(port: int) -> dict[str, str]:
    """Return the notification settings that send every email to the local SMTP server."""
    return {
        "JIANGXIN_NOTIFICATION_EMAIL_PROVIDER": "smtp",
        "JIANGXIN_NOTIFICATION_SMTP_HOST": "127.0.0.1",
        "JIANGXIN_NOTIFICATION_SMTP_PORT": str(port),
    }
