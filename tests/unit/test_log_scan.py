"""The log scanner finds each kind of unmasked personal data and lets the masked forms pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.masking import mask_email, mask_id_number, mask_name, mask_phone
from tests.support.log_scan import main, scan_folder, scan_lines


def kinds(line: str, known: set[str] | None = None) -> list[str]:
    return [kind for f in scan_lines([line], source="t", known=known or set()) for kind in f.kinds]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("sms_sent phone=13800138000", "mobile number"),
        ('{"event": "sent", "to": "+8613800138000"}', "phone number"),
        ("recipient +447911123456 unreachable", "phone number"),
        ("holder id 110101199003074514 refused", "ID number"),
        ("holder id 11010119900307451X refused", "ID number"),
        ("legacy id 110101900307451 refused", "ID number (15-digit)"),
        ("passport E12345678 refused", "passport-like number"),
        ("bounce from zhang.san@example.com", "email address"),
        ('{"code": "482913"}', "sign-in code"),
        ("otp=482913", "sign-in code"),
        ("验证码：482913，5分钟内有效", "sign-in code"),
        ("\x1b[32mphone\x1b[0m=\x1b[1m13800138000\x1b[0m", "mobile number"),
    ],
    ids=["mobile", "e164-cn", "e164-other", "id18", "id18-x", "id15", "passport", "email",
         "code-json", "code-key", "code-chinese", "coloured"],
)
def test_an_unmasked_value_in_a_log_line_is_found(line: str, kind: str) -> None:
    assert kinds(line) == [kind]


def test_a_code_the_tests_requested_is_found_wherever_it_stands() -> None:
    assert kinds("sms body: 482913 is yours", known={"482913"}) == [
        "sign-in code the tests requested"
    ]
    assert kinds("sms body: 482913 is yours") == []


def test_the_masked_forms_of_shared_masking_pass() -> None:
    line = " ".join([
        mask_phone("13800138000"), mask_phone("+8613800138000"), mask_phone("+447911123456"),
        mask_id_number("460102199001011234"), mask_id_number("E12345678"),
        mask_name("张三丰"), mask_email("zhang.san@example.com"), "code=*** otp=***",
    ])
    assert kinds(line, known={"13800138000", "482913"}) == []


@pytest.mark.parametrize(
    "line",
    [
        "2024-05-01T12:34:56.138001Z duration_s=0.13800138000 status_code=200",
        "message_id=018f3a2b-1380-7abc-9def-138001380001 namespace=jxt-1380013800",
        "database jx_run_13800138000 course_code=123456 postal_code=100000",
        "amqp://guest:guest@localhost:5672/ postgresql://postgres@127.0.0.1:5432/jx",
        "certificate JX2451000123 serial 20240501 count 1380013800012345678901",
    ],
    ids=["times", "uuids", "names", "urls", "numbers"],
)
def test_ids_timestamps_and_names_of_the_platform_are_not_personal_data(line: str) -> None:
    assert kinds(line) == []


def test_a_finding_shows_where_and_the_line_masked() -> None:
    [finding] = scan_lines(["ok", "sent to 13800138000 for zhang@example.com"], source="a.log")
    assert str(finding) == (
        "a.log:2: mobile number, email address: sent to 138****8000 for z***@example.com"
    )


def test_the_command_scans_a_folder_and_exits_1_on_a_hit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "enrollment.log").write_text("ok\nsent 482913\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("13800138000\n", encoding="utf-8")  # not a log
    (tmp_path / "known.txt").write_text("482913\n", encoding="utf-8")
    assert main([str(tmp_path)]) == 0
    assert main([str(tmp_path), "--known", str(tmp_path / "known.txt")]) == 1
    assert "svc/enrollment.log:2: sign-in code the tests requested: sent ******" in (
        capsys.readouterr().out
    )
    assert [f.source for f in scan_folder(tmp_path, known={"482913"})] == ["svc/enrollment.log"]
