"""Read what the process logs: JSON lines into a buffer, for assertions on log output."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from shared.logging import configure_logging

# The level tests log at outside json_logs(); JIANGXIN_TEST_LOG_LEVEL=INFO lets the personal-data
# scan (tests/support/log_guard.py) read every line the product logs in production too.
SUITE_LEVEL = os.environ.get("JIANGXIN_TEST_LOG_LEVEL", "WARNING")


@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """Log INFO and up as JSON lines into a buffer inside the block, then quiet down again."""
    buffer, real = io.StringIO(), sys.stderr
    sys.stderr = buffer
    configure_logging(level="INFO", fmt="json")
    try:
        yield buffer
    finally:
        sys.stderr = real
        structlog.contextvars.clear_contextvars()
        configure_logging(level=SUITE_LEVEL, fmt="console")


def log_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Return the JSON log lines written to `buffer` so far."""
    lines = []
    for text in buffer.getvalue().splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines
