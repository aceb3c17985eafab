"""Browser tests: Debian's Chromium driven by Playwright against the platform `make run` starts.

The fixtures live for this package only: Playwright's sync API keeps an event loop running in
the main thread while it is open, which the asyncio tests of other packages cannot share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.browser.platform import Platform, new_platform
from tests.browser.support import (
    CHROMIUM,
    EXPECT_TIMEOUT_MS,
    LAUNCH_ARGS,
    Staff,
    new_phone,
    unique_tag,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The three services and the nginx gateway, private to this test session."""
    running = new_platform(tmp_path_factory.mktemp("platform"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="package")
def admin(platform: Platform) -> Staff:
    """An administrator made the documented way: `jiangxin user create --role admin`."""
    tag = unique_tag()
    person = Staff(name=f"管理员{tag}", phone=new_phone(), password=f"admin-pass-{tag}")
    platform.cli("user", "create", "--role", "admin", "--phone", person.phone,
                 "--name", person.name, "--password", person.password)
    return person


@pytest.fixture(autouse=True, scope="package")
def _patient_expect() -> None:
    """Let Playwright's expect wait long enough for events crossing the broker."""
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (sync API)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium from Debian's package; a missing browser fails, never skips."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's chromium "
            "(make test installs it as root; otherwise: sudo apt-get install -y chromium "
            "fonts-noto-cjk)"
        )
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield chromium
    chromium.close()
