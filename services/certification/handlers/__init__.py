"""Use cases: HTTP ones open their own transaction, subscription ones run in the consumer's."""

from services.certification.handlers.issuing import (
    approve,
    approve_many,
    issue_for_result,
)
from services.certification.handlers.lifecycle import change_status, request_reissue
from services.certification.handlers.results import record_result
from services.certification.handlers.trainers import (
    record_class_trainers,
    record_identity_review,
)

__all__ = [
    "approve",
    "approve_many",
    "change_status",
    "issue_for_result",
    "record_class_trainers",
    "record_identity_review",
    "record_result",
    "request_reissue",
]
