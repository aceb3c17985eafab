"""Configure structlog once; bind request and message context through contextvars."""

from __future__ import annotations

import logging
import re
import sys
import weakref
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal

import structlog

from shared.masking import MASKED_KEYS, mask_fields, mask_value

LogFormat = Literal["json", "console"]

# Every logger handed out, so that configuring again reaches loggers already used.
_loggers: weakref.WeakSet[Any] = weakref.WeakSet()

# Catch personal data that reached a free-text field, not only the well-known keys.
_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_MOBILE_RE = re.compile(r"(?<![\d*])(\+?86)?(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# What each of those needs: an ID number or a mobile number is a run of at least 7 digits, an
# email address has an "@". Most values (ids, names of events, counts) have neither, and one
# scan for this is several times cheaper than the three substitutions.
_MAYBE_PERSONAL = re.compile(r"\d{7}|@")


def scrub_text(text: str) -> str:
    """Mask ID numbers, mobile numbers and email addresses inside free text."""
    if _MAYBE_PERSONAL.search(text) is None:
        return text
    text = _ID_RE.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(2), text)
    text = _MOBILE_RE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(3), text)
    return _EMAIL_RE.sub(r"\1***@\2", text)


def _mask_personal_data(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # In place: structlog hands every processor chain a dict of its own. This runs for every
    # line, so the usual case (nothing to mask) costs one scan of all the text at once.
    texts = []
    for key, value in event_dict.items():
        if isinstance(value, str):
            if key.lower() in MASKED_KEYS:
                event_dict[key] = value = mask_value(key, value)
            if key != "timestamp":
                texts.append(value)
        elif isinstance(value, Mapping):
            event_dict[key] = mask_fields(value)
    if _MAYBE_PERSONAL.search("\n".join(texts)) is not None:
        for key, value in event_dict.items():
            if isinstance(value, str) and key != "timestamp":
                event_dict[key] = scrub_text(value)
    return event_dict


# Callables that also receive every piece of log output (the test suite scans them).
_taps: list[Callable[[str], object]] = []


def tap_log_output(tap: Callable[[str], object]) -> Callable[[], None]:
    """Hand every piece of log output this process writes to `tap` too; return its remover."""
    _taps.append(tap)
    return lambda: _taps.remove(tap)


class _CurrentStderr:
    """Write to whatever sys.stderr is now (tests and tools swap it; a stale one may be closed)."""

    def write(self, text: str) -> int:
        for tap in _taps:
            tap(text)
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    *, level: str = "INFO", fmt: LogFormat = "console", service: str = ""
) -> None:
    """Set up structlog and the stdlib root logger for one process."""
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _mask_personal_data,
    ]
    if service:
        structlog.contextvars.bind_contextvars(service=service)
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared_processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # One write of the whole line, then a flush (print writes the newline separately).
        logger_factory=structlog.WriteLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    for logger in list(_loggers):
        # A proxy keeps the logger assembled at first use as its own `bind`: forget it.
        vars(logger).pop("bind", None)
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors[:-1],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _mask_personal_data,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    """Return a structlog logger (bound lazily so configuration may come later)."""
    logger = structlog.get_logger(name)
    _loggers.add(logger)
    return logger


bind_context = structlog.contextvars.bind_contextvars


@contextmanager
def bound_context(**values: Any) -> Iterator[None]:
    """Bind key-values to the log lines of a block, then put back what was bound before."""
    # structlog's bound_contextvars copies the whole context to save the old values; the
    # tokens of ContextVar.set restore the same state without that (once per request).
    tokens = structlog.contextvars.bind_contextvars(**values)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


clear_context = structlog.contextvars.clear_contextvars
get_context = structlog.contextvars.get_contextvars
