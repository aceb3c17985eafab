"""The READMEs state what the code does: password length, and commands as the venv has them."""

from __future__ import annotations

import re
from pathlib import Path

from services.enrollment.domain.identity import MIN_PASSWORD_LENGTH

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "services" / "enrollment" / "README.md"]


def test_the_readmes_state_the_minimum_password_length_the_code_enforces() -> None:
    for readme in READMES:
        text = " ".join(readme.read_text(encoding="utf-8").split())
        stated = {int(n) for n in re.findall(r"at least (\d+) characters", text)}
        assert stated == {MIN_PASSWORD_LENGTH}, readme


def test_commands_to_type_are_shown_with_the_venv_path() -> None:
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        bare = re.findall(r"(?:^|[`\s])jiangxin (?:user|seed-demo|import-roster|keys --dir)", text,
                          flags=re.MULTILINE)
        assert bare == [], readme
