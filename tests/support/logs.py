"""Read what the process logs: JSON lines into a buffer, for assertions on log output."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from shared.logging import configure_logging


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
        configure_logging(level="WARNING", fmt="console")


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
