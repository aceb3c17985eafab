"""Load the city templates of the claim pack (YAML files in services/enrollment/claim_templates)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from services.enrollment.domain.claim_pack import ClaimTemplate, parse_template
from shared.errors import NotFound

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "claim_templates"


@cache
def load_templates(directory: Path = TEMPLATE_DIR) -> dict[str, ClaimTemplate]:
    """Return every template of the directory by id (its file name without .yaml)."""
    return {path.stem: parse_template(path.stem, yaml.safe_load(path.read_text("utf-8")))
            for path in sorted(directory.glob("*.yaml"))}


def template(template_id: str) -> ClaimTemplate:
    """Return one template by id."""
    found = load_templates().get(template_id)
    if found is None:
        raise NotFound("There is no such claim template.", code="unknown_template",
                       templates=sorted(load_templates()))
    return found
