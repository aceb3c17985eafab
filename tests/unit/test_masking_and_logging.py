"""Personal data never reaches a log line unmasked; context ids do."""

from __future__ import annotations

import io
import json
import sys

import pytest
import structlog

from shared.logging import bound_context, configure_logging, get_logger, scrub_text
from shared.masking import mask_email, mask_fields, mask_id_number, mask_name, mask_phone


def test_phone_is_masked_keeping_prefix_and_last_four() -> None:
    assert mask_phone("+8613800138000") == "+86138****8000"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("") == ""


def test_email_id_number_and_name_are_masked() -> None:
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_id_number("460102199001011234") == "4601**********1234"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"


def test_mask_fields_masks_known_keys_recursively_and_hides_secrets() -> None:
    masked = mask_fields(
        {"phone": "+8613800138000", "nested": {"email": "a@b.cn"}, "code": "123456", "n": 3}
    )
    assert masked == {
        "phone": "+86138****8000",
        "nested": {"email": "a***@b.cn"},
        "code": "***",
        "n": 3,
    }


def test_free_text_is_scrubbed_of_mobiles_ids_and_emails() -> None:
    text = "call 13800138000 or +8613900139000, id 46010219900101123X, mail li@qq.com"
    scrubbed = scrub_text(text)
    for secret in ("13800138000", "13900139000", "46010219900101123X", "li@qq.com"):
        assert secret not in scrubbed
    assert "138****8000" in scrubbed


def test_json_log_lines_carry_context_and_never_raw_personal_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="INFO", fmt="json", service="unit")
    try:
        log = get_logger("test")
        with bound_context(correlation_id="corr-1", message_id="m-1"):
            log.info("trainee_enrolled", phone="+8613800138000", note="reach me at 13800138000")
        err = capsys.readouterr().err
    finally:
        structlog.contextvars.clear_contextvars()
        configure_logging(level="WARNING", fmt="console")
    line = json.loads(err.strip().splitlines()[-1])
    assert line["event"] == "trainee_enrolled"
    assert line["correlation_id"] == "corr-1"
    assert line["message_id"] == "m-1"
    assert line["service"] == "unit"
    assert "13800138000" not in err


def test_logging_follows_a_replaced_stderr_even_after_the_old_one_closed() -> None:
    first, second = io.StringIO(), io.StringIO()
    real = sys.stderr
    try:
        sys.stderr = first
        configure_logging(level="INFO", fmt="json")
        sys.stderr = second
        first.close()
        get_logger("t").info("still_logging")
    finally:
        sys.stderr = real
        configure_logging(level="WARNING", fmt="console")
    assert "still_logging" in second.getvalue()


def test_configuring_again_reaches_a_logger_already_used() -> None:
    buffer, real = io.StringIO(), sys.stderr
    log = get_logger("used-before")
    try:
        sys.stderr = buffer
        configure_logging(level="WARNING", fmt="console")
        log.info("dropped_at_warning")
        configure_logging(level="INFO", fmt="json")
        log.info("kept_at_info")
    finally:
        sys.stderr = real
        configure_logging(level="WARNING", fmt="console")
    assert "dropped_at_warning" not in buffer.getvalue()
    assert json.loads(buffer.getvalue().strip())["event"] == "kept_at_info"


def test_each_value_of_a_line_is_masked_by_its_key_or_scrubbed_and_clean_ones_stay_as_they_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="INFO", fmt="json", service="unit")
    try:
        get_logger("test").info(
            "contact_changed", Email="li@qq.com", detail="new id 46010219900101123X",
            other="old 13900139000", nested={"phone": "+8613800138000"}, count=12,
            message_id="01939b2c-7c3e-7a8b-9d5e-0a1b2c3d4e5f", reason="quota 1234567 left",
        )
        err = capsys.readouterr().err
    finally:
        structlog.contextvars.clear_contextvars()
        configure_logging(level="WARNING", fmt="console")
    line = json.loads(err.strip().splitlines()[-1])
    assert line["Email"] == "l***@qq.com"
    assert line["detail"] == "new id 4601**********123X"
    assert line["other"] == "old 139****9000"
    assert line["nested"] == {"phone": "+86138****8000"}
    assert (line["count"], line["message_id"]) == (12, "01939b2c-7c3e-7a8b-9d5e-0a1b2c3d4e5f")
    assert line["reason"] == "quota 1234567 left"  # seven digits, but no number of a person
