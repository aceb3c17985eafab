"""People clicking through the web front: one browser context (one tab's storage) each."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from shared.ids import new_id

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
XSS_NAME = "<script>alert(1)</script>"
# Events travel through RabbitMQ between services; give them time, but never sleep blindly.
EVENTUAL_S = 30.0
EXPECT_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Viewport:
    """A screen to test on."""

    name: str
    options: dict[str, Any]


DESKTOP = Viewport("desktop", {"viewport": {"width": 1280, "height": 800}})
PHONE = Viewport("phone", {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                           "has_touch": True, "device_scale_factor": 1})


@dataclass(frozen=True)
class Staff:
    """A trainer or administrator account."""

    name: str
    phone: str
    password: str


def unique_tag() -> str:
    """Return a short tag that makes names of this run unique."""
    return new_id().hex[-6:].upper()


def new_phone() -> str:
    """Return a random, valid mainland mobile number (139 + 8 digits)."""
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def poll(check: Callable[[], bool], *, what: str, within_s: float = EVENTUAL_S) -> None:
    """Repeat `check` (which itself waits briefly) until it is true; fail at the deadline."""
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s:.0f}s: {what}")


def visible_within(locator: Locator, ms: int = 1000) -> bool:
    """Tell whether `locator` becomes visible within `ms` (Playwright's auto-waiting)."""
    try:
        expect(locator).to_be_visible(timeout=ms)
    except AssertionError:
        return False
    return True


@dataclass
class Person:
    """Someone at a browser: their own context, so their own sessionStorage and token."""

    context: BrowserContext
    page: Page
    base: str
    viewport: Viewport
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, base: str, viewport: Viewport, *,
             timezone_id: str = "Asia/Shanghai") -> Person:
        """Open a fresh context in zh-CN and China's time zone (unless given), recording every
        JS dialog."""
        context = browser.new_context(locale="zh-CN", timezone_id=timezone_id,
                                      accept_downloads=True, **viewport.options)
        person = cls(context, context.new_page(), base, viewport)

        def watch(page: Page) -> None:
            def record(dialog: Any) -> None:
                person.dialogs.append(f"{dialog.type}: {dialog.message}")
                dialog.dismiss()

            def console(message: Any) -> None:
                # Content-Security-Policy violations: inline code or a foreign origin crept in.
                if "Content Security Policy" in message.text or "Refused to" in message.text:
                    person.problems.append(f"{page.url}: {message.text}")

            page.on("dialog", record)
            page.on("console", console)
            page.on("pageerror", lambda error: person.problems.append(f"{page.url}: {error}"))

        watch(person.page)
        context.on("page", watch)
        return person

    def go(self, path: str) -> None:
        """Load a path of the one origin."""
        self.page.goto(self.base + path)

    def heading(self, text: str | re.Pattern[str]) -> None:
        """Wait for the page's h1."""
        expect(self.page.locator("h1")).to_have_text(text)

    def shot(self, name: str) -> None:
        """Save a screenshot for docs/screenshots/ (README 'Where to click')."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # Toasts vanish after a few seconds by themselves; keep them out of the pictures.
        self.page.evaluate("document.getElementById('toast')?.replaceChildren()")
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.viewport.name}-{name}.png"),
                             full_page=True, animations="disabled", caret="hide")

    def read_code(self, phone: str) -> str:
        """Open the dev inbox from the sign-in page's link and read the newest code for `phone`."""
        with self.context.expect_page() as opened:
            self.page.get_by_role("link", name="开发收件箱").first.click()
        inbox = opened.value
        url = f"{self.base}/dev/inbox?phone={phone}"
        code = inbox.locator("[data-code]").first

        def arrived() -> bool:
            inbox.goto(url)
            return visible_within(code)

        poll(arrived, what=f"a sign-in code for {phone} in the dev inbox")
        value = code.get_attribute("data-code") or ""
        assert re.fullmatch(r"\d{6}", value), value
        inbox.close()
        return value

    def sign_in_trainee(self, phone: str, name: str) -> None:
        """Sign in with an SMS code read from the dev inbox; a first sign-in asks for a name."""
        page = self.page
        expect(page.locator("h1")).to_have_text("登录")
        page.get_by_label("手机号").fill(phone)
        page.get_by_role("button", name="获取验证码").click()
        expect(page.get_by_text("验证码已发送")).to_be_visible()
        page.get_by_label("验证码").fill(self.read_code(phone))
        page.get_by_role("button", name="登录", exact=True).click()
        self.heading("个人资料")
        page.get_by_label("姓名").fill(name)
        page.get_by_role("button", name="保存").click()

    def sign_in_staff(self, person: Staff) -> None:
        """Sign in with phone and password."""
        self.go("/staff/sign-in")
        page = self.page
        page.get_by_label("手机号").fill(person.phone)
        page.get_by_label("密码").fill(person.password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.locator(".tools .who")).to_have_text(person.name)

    def confirm(self, reason: str | None = None) -> None:
        """Answer the page's own confirmation dialog (an HTML <dialog>, not window.confirm)."""
        dialog = self.page.locator("dialog[open]")
        expect(dialog).to_be_visible()
        if reason is not None:
            dialog.get_by_role("textbox").fill(reason)
        dialog.locator("button[value=ok]").click()
        expect(dialog).to_have_count(0)

    def assert_clean(self) -> None:
        """No JavaScript dialog opened, no script error, no Content-Security-Policy violation."""
        assert self.dialogs == [], self.dialogs
        assert self.problems == [], self.problems

    def close(self) -> None:
        """Close the context."""
        self.context.close()
