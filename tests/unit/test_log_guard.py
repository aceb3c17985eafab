"""A test run whose logs carry unmasked personal data fails; one with masked forms passes.

Each case runs a small pytest session of its own (in a child process) with the plugin.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.log_guard import ROOT

pytest_plugins = ["pytester"]

LEAKS = '''
import logging, sys
from shared.logging import configure_logging, get_logger
from tests.support.log_guard import process_log, remember

def test_a_structlog_line():
    configure_logging(level="INFO", fmt="json")
    get_logger("t").info("otp_sent", detail="验证码 482913", passport="E12345678")

def test_a_line_on_stderr():
    print("sms to 13800138000", file=sys.stderr)

def test_a_service_process_log():
    with process_log("enrollment") as log:
        log.write("registered 110101199003074514 zhang.san@example.com\\n")

def test_a_code_the_test_requested():
    remember("730152")
    print("sms body: 730152")

def test_a_code_an_event_carried():
    from datetime import datetime, timezone
    from shared.events.catalog import OtpRequested
    from shared.events.envelope import Envelope
    otp = OtpRequested(phone="+8613800138000", code="604217", expires_at=datetime.now(timezone.utc))
    Envelope.wrap(otp, producer="enrollment", correlation_id="c")
    print("sms body: 604217")
'''

MASKED = '''
import sys
from shared.logging import configure_logging, get_logger
from shared.masking import mask_name

def test_masked_forms():
    configure_logging(level="INFO", fmt="json")
    get_logger("t").info("sms_sent", phone="+8613800138000", email="zhang.san@example.com",
                         id_number="110101199003074514", code="482913", name=mask_name("张三丰"))
    get_logger("t").info("free_text", detail="to 13800138000 or zhang.san@example.com")
    print("138****8000 4601**********1234 张*三 a***@x.org code=***", file=sys.stderr)
'''


def run_session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str) -> (
    pytest.RunResult
):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_subprocess(
        "-p", "tests.support.log_guard", "-p", "no:cacheprovider",
        "-o", "asyncio_default_fixture_loop_scope=function",
    )


def test_each_kind_of_leak_fails_the_run_naming_test_and_masked_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_session(pytester, monkeypatch, LEAKS)

    result.assert_outcomes(passed=5)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    for where, what in [
        ("in-process/test_inner.py-test_a_structlog_line.log:1", "sign-in code"),
        ("in-process/test_inner.py-test_a_structlog_line.log:1", "passport-like number"),
        ("captured/test_inner.py-test_a_line_on_stderr.log", "mobile number: sms to 138****8000"),
        ("processes/test_inner.py-test_a_service_process_log--enrollment.log:1",
         "ID number, email address: registered 1101**********4514 z***@example.com"),
        ("captured/test_inner.py-test_a_code_the_test_requested.log",
         "sign-in code the tests requested: sms body: ******"),
        ("captured/test_inner.py-test_a_code_an_event_carried.log",
         "sign-in code the tests requested: sms body: ******"),
    ]:
        assert any(where in line and what in line for line in out.splitlines()), (where, out)
    for secret in ("482913", "604217", "E12345678", "13800138000", "110101199003074514",
                   "zhang.san"):
        assert secret not in out
    kept = Path(out.split("the run's logs are in ")[1].split()[0])
    assert (kept / "processes").is_dir()
    shutil.rmtree(kept)


def test_masked_forms_pass_and_leave_no_folder_behind(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = set((ROOT / "var" / "log-scan").glob("*"))
    result = run_session(pytester, monkeypatch, MASKED)

    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert set((ROOT / "var" / "log-scan").glob("*")) <= before
