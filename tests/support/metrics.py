"""Read the process's Prometheus metrics in tests."""

from __future__ import annotations

from shared.metrics import CONSUMER_BATCH_SIZE


def consumer_batches(queue: str) -> tuple[float, float]:
    """Return (committed batches, messages in them) of one queue."""
    count = total = 0.0
    for metric in CONSUMER_BATCH_SIZE.collect():
        for sample in metric.samples:
            if sample.labels.get("queue") != queue:
                continue
            if sample.name.endswith("_count"):
                count += sample.value
            elif sample.name.endswith("_sum"):
                total += sample.value
    return count, total
