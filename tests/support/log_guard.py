"""pytest plugin: a run whose logs carry unmasked personal data fails, naming test and line.

Every log line is kept in a folder of this run, var/log-scan/<run>/, and scanned at the end
by tests/support/log_scan.py:
- in-process/: what shared.logging writes (structlog and stdlib lines, wherever stderr points);
- captured/: what pytest captured of each test's stdout and stderr (children inheriting them);
- processes/: the output of the service processes, supervisors and commands tests start
  (their helpers write it with `process_log` / `record_output`).
Values the run generated are searched for as they are: every phone, email and sign-in code
wrapped in an event in this process, and those the notification databases of started
platforms delivered (`remember_delivered`). The folder is removed when it is clean.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import asyncpg
import pytest

from shared.events.envelope import Envelope, Event
from shared.ids import new_id
from shared.logging import tap_log_output
from tests.support.log_scan import Finding, report, scan_folder

ROOT = Path(__file__).resolve().parents[2]
_PERSONAL_KEYS = frozenset({"phone", "email"})
_guard: LogGuard | None = None


class LogGuard:
    """The run's log folder, the values it generated, and the scan at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.known: set[str] = set()
        self.findings: list[Finding] = []
        self.test = "session"
        self._lock = threading.Lock()
        self._untap = tap_log_output(self.write)

    def write(self, text: str) -> None:
        """Keep a piece of in-process log output under the current test's name."""
        with self._lock, open(self.path("in-process", self.test), "a", encoding="utf-8") as f:
            f.write(text)

    def path(self, kind: str, name: str) -> Path:
        """Return a log file of this run for a test (or a process a test started)."""
        folder = self.folder / kind
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{_slug(name)}.log"

    def remember(self, *values: str | None) -> None:
        """Add values the run generated; finding one in a log is a hit."""
        self.known.update(v for v in values if v)
        self.known.update(v.removeprefix("+86") for v in values if v and v.startswith("+86"))

    def finish(self) -> list[Finding]:
        """Scan the folder; remove it when clean, keep it to read otherwise."""
        self._untap()
        unique: dict[tuple[str, str], Finding] = {}
        # A line logged in-process is captured on stderr too: name it once, by its tap.
        found = scan_folder(self.folder, known=self.known)
        for finding in sorted(found, key=lambda f: f.source.startswith("captured/")):
            unique.setdefault((Path(finding.source).name, finding.masked_line), finding)
        self.findings = list(unique.values())
        if not self.findings:
            shutil.rmtree(self.folder, ignore_errors=True)
        return self.findings


def process_log(label: str) -> IO[str]:
    """Open the file a started process's output goes to (nowhere outside a guarded run)."""
    if _guard is None:
        return open(os.devnull, "w", encoding="utf-8")
    test = os.environ.get("PYTEST_CURRENT_TEST", "session").rsplit(" ", 1)[0]
    return open(_guard.path("processes", f"{test}--{label}"), "a", encoding="utf-8", buffering=1)


def record_output(label: str, *outputs: str | bytes) -> None:
    """Keep what a finished process printed, for the scan."""
    with process_log(label) as log:
        for output in outputs:
            text = output.decode(errors="replace") if isinstance(output, bytes) else output
            log.write(text if text.endswith("\n") or not text else text + "\n")


def remember(*values: str | None) -> None:
    """Add values the run generated (codes, phones, emails); a log carrying one is a hit."""
    if _guard is not None:
        _guard.remember(*values)


async def remember_delivered(notification_dsn: str) -> None:
    """Remember every recipient and sign-in code a notification database holds."""
    if _guard is None:
        return
    try:
        conn = await asyncpg.connect(notification_dsn)
    except asyncpg.InvalidCatalogNameError:  # the platform never started
        return
    try:
        rows = await conn.fetch(
            "SELECT recipient AS value FROM notifications"
            " UNION SELECT code FROM sink_messages WHERE code IS NOT NULL"
        )
    except asyncpg.UndefinedTableError:  # it never got as far as migrating
        rows = []
    finally:
        await conn.close()
    remember(*(row["value"] for row in rows))


def personal_values(event: Event) -> Iterator[str]:
    """Yield the phones and emails in an event's data, and the code of a sign-in request."""
    data = event.model_dump(mode="json")
    yield from _values(data)
    if event.event_type == "auth.otp_requested":
        yield data["code"]


def _values(data: Mapping[str, Any]) -> Iterator[str]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _values(value)
        elif key in _PERSONAL_KEYS and isinstance(value, str):
            yield value


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return slug if len(slug) <= 150 else f"{slug[:130]}-{digest}"


def _spy_on_envelopes() -> Any:
    """Remember the personal values of every event wrapped in this process."""
    original = Envelope.__dict__["wrap"]

    def wrap(cls: type[Envelope], /, payload: Event, **kwargs: Any) -> Envelope:
        remember(*personal_values(payload))
        return original.__func__(cls, payload, **kwargs)  # type: ignore[no-any-return]

    Envelope.wrap = classmethod(wrap)  # type: ignore[method-assign, assignment]
    return original


def pytest_configure(config: pytest.Config) -> None:
    """Open this run's log folder and start keeping every line."""
    global _guard
    folder = ROOT / "var" / "log-scan" / new_id().hex
    folder.mkdir(parents=True)
    _guard = LogGuard(folder)
    config.stash[_ORIGINAL_WRAP] = _spy_on_envelopes()


_ORIGINAL_WRAP = pytest.StashKey[Any]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Keep the lines a test logs under its name."""
    assert _guard is not None
    _guard.test = item.nodeid
    try:
        return (yield)
    finally:
        _guard.test = "session"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep what pytest captured of a test's stdout and stderr."""
    captured = [text for title, text in report.sections if title.startswith("Captured std")]
    if captured and _guard is not None:
        with open(_guard.path("captured", report.nodeid), "a", encoding="utf-8") as f:
            f.write("\n".join(captured) + "\n")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Scan every line of the run; any personal data fails it."""
    if _guard is not None and _guard.finish() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put Envelope.wrap back."""
    Envelope.wrap = config.stash[_ORIGINAL_WRAP]  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what leaked where (masked) and where the logs are."""
    if _guard is None or not _guard.findings:
        return
    for line in report(_guard.findings):
        terminalreporter.write_line(line, red=True)
    terminalreporter.write_line(
        f"personal data must be masked in every log line (shared/masking.py); "
        f"the run's logs are in {_guard.folder}", red=True, bold=True,
    )
