"""Vocational skill levels as written on the certificate."""

from __future__ import annotations

from services.certification.domain.numbers import NATIONAL_RE, Kind

LEVEL_NAMES_ZH = {
    5: "五级/初级工",
    4: "四级/中级工",
    3: "三级/高级工",
    2: "二级/技师",
    1: "一级/高级技师",
}
LEVEL_NAMES_EN = {
    5: "Level 5 / Junior worker",
    4: "Level 4 / Intermediate worker",
    3: "Level 3 / Senior worker",
    2: "Level 2 / Technician",
    1: "Level 1 / Senior technician",
}


def level_name(level: int | None, *, locale: str = "zh-CN") -> str | None:
    """Return the printed name of a level (None for a training certificate)."""
    if level is None:
        return None
    names = LEVEL_NAMES_EN if locale == "en" else LEVEL_NAMES_ZH
    return names[level]


TITLE_SKILL = "职业技能等级证书"
TITLE_TRAINING = "培训合格证书"
TITLE_SKILL_EN = "Vocational Skill Level Certificate"
TITLE_TRAINING_EN = "Training Certificate"


def title_of(kind: str, *, locale: str = "zh-CN") -> str:
    """Return the fixed title of a certificate of a kind (skill_level or training)."""
    skill = kind == "skill_level"
    if locale == "en":
        return TITLE_SKILL_EN if skill else TITLE_TRAINING_EN
    return TITLE_SKILL if skill else TITLE_TRAINING


def kind_of(declared: str, number: str | None) -> Kind:
    """Return a certificate's kind: as its course declares it, or skill_level for a national
    number (certificates issued before courses declared a kind)."""
    if declared == "skill_level" or (number is not None and NATIONAL_RE.match(number)):
        return "skill_level"
    return "training"


def shown_level(kind: str, level: int | None) -> int | None:
    """Return the level a certificate states: only a skill-level certificate states one (a
    training certificate carries the course and hours instead)."""
    return level if kind == "skill_level" else None
