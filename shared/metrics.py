"""Prometheus metrics of the platform (one set per process, labelled by service)."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "jiangxin_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "jiangxin_http_request_seconds",
    "HTTP request latency",
    ["service", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MESSAGES_CONSUMED = Counter(
    "jiangxin_messages_consumed_total",
    "Messages taken off a queue, by outcome",
    ["service", "queue", "type", "outcome"],
)
MESSAGES_FAILED = Counter(
    "jiangxin_messages_failed_total",
    "Handler failures (each attempt)",
    ["service", "queue", "type", "error"],
)
MESSAGES_PUBLISHED = Counter(
    "jiangxin_messages_published_total", "Outbox rows confirmed by the broker", ["service", "type"]
)
PUBLISH_FAILURES = Counter(
    "jiangxin_publish_failures_total",
    "Outbox publish attempts not confirmed",
    ["service", "reason"],
)
OUTBOX_BACKLOG = Gauge(
    "jiangxin_outbox_backlog", "Outbox rows waiting to be published", ["service"]
)
OUTBOX_PARKED = Gauge("jiangxin_outbox_parked", "Outbox rows parked as unroutable", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "jiangxin_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
HANDLER_SECONDS = Histogram(
    "jiangxin_handler_seconds",
    "Message handling time including the transaction",
    ["service", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
CONSUMER_BATCH_SIZE = Histogram(
    "jiangxin_consumer_batch_messages",
    "Messages handled in one consumer transaction (committed batches only)",
    ["service", "queue"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)

# Sign-in codes (SMS pumping, issue 15): issued by region, refused by reason (the problem code).
OTP_ISSUED = Counter(
    "jiangxin_otp_issued_total", "Sign-in codes issued, by the number's region", ["region"]
)
OTP_REFUSED = Counter(
    "jiangxin_otp_refused_total", "Sign-in code requests refused, by reason", ["reason"]
)


_MAX_CHILDREN = 5000
_children: dict[tuple[object, tuple[str, ...]], Any] = {}


def child(metric: Any, *labels: str) -> Any:
    """Return `metric.labels(*labels)`, remembered: prometheus_client's labels() validates and
    takes a lock on every call, and hot paths ask for the same few children over and over.
    Label values here are bounded (routes are templates, types are event types); past the bound
    nothing more is remembered."""
    key = (metric, labels)
    found = _children.get(key)
    if found is None:
        found = metric.labels(*labels)
        if len(_children) < _MAX_CHILDREN:
            _children[key] = found
    return found
