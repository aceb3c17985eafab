"""Which certificate a course leads to, and how it may be issued."""

from __future__ import annotations

from typing import Literal

from shared.errors import ValidationFailed

CertificateKind = Literal["training", "skill_level"]
IssuePolicy = Literal["auto", "approval"]


def check_certificate_rules(
    *, kind: CertificateKind, policy: IssuePolicy, level: int | None
) -> None:
    """Raise ValidationFailed unless the course's certificate kind, policy and level agree.

    A skill-level certificate (职业技能等级证书) names a level and is always approved by a
    second staff member; only a training certificate may be issued in a single step.
    """
    if kind == "skill_level" and level is None:
        raise ValidationFailed("A skill-level certificate needs the course's level.",
                               code="skill_level_needs_level")
    if kind == "skill_level" and policy == "auto":
        raise ValidationFailed("Only training certificates may be issued without approval.",
                               code="single_step_training_only")
