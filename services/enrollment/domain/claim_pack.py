"""The claim pack for the human-resources bureau: its documents, the values a city template
may put in a column, and the check of a template. Pure: files are read by the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shared.errors import ValidationFailed

Document = Literal["application", "ledger", "roster", "scores", "notice"]
DOCUMENTS: tuple[Document, ...] = ("application", "ledger", "roster", "scores", "notice")
FORMATS = ("xlsx", "pdf")
PERSON_CATEGORIES = {
    "employed": "在职职工", "unemployed": "失业人员", "migrant_worker": "农民工",
    "poverty_alleviated": "脱贫人口", "graduate": "高校毕业生", "other": "其他",
}
def person_category(text: str | None) -> str | None:
    """Return the category code of a code or its Chinese label (在职职工 ...); refuse others."""
    if text is None:
        return None
    by_label = {label: code for code, label in PERSON_CATEGORIES.items()}
    code = text if text in PERSON_CATEGORIES else by_label.get(text)
    if code is None:
        raise ValidationFailed(f"Use one of: {', '.join(PERSON_CATEGORIES.values())}.",
                               code="invalid_person_category")
    return code


ID_TYPE_LABELS = {"resident_id": "居民身份证", "passport": "护照",
                  "hk_macao_permit": "港澳居民来往内地通行证",
                  "taiwan_permit": "台湾居民来往大陆通行证", "other": "其他"}
RESULT_LABELS = {True: "合格", False: "不合格", None: "未考核"}

# What each document's columns may show (one row per trainee, or per session and trainee).
_TRAINEE = frozenset({"seq", "name", "masked_name", "id_type", "id_number", "masked_id_number",
                      "phone", "person_category", "occupation", "occupation_code", "level",
                      "dates", "hours", "theory_score", "practical_score", "result",
                      "certificate_number", "certificate_date"})
COLUMN_KEYS: Mapping[Document, frozenset[str]] = {
    "application": _TRAINEE,
    "ledger": frozenset({"date", "session", "session_time", "name", "checked_in_at",
                         "checked_out_at", "minutes", "flags", "confirmation"}),
    "roster": _TRAINEE, "scores": _TRAINEE, "notice": _TRAINEE,
}
APPLICATION_FIELDS = frozenset({
    "organiser", "class_name", "course", "occupation_code", "occupation", "level", "dates",
    "planned_hours", "sessions", "venue", "trainers", "planned_count", "teaching_plan",
    "assessment_plan"})
# Columns that show personal data in full: masked unless an administrator asks for them.
PERSONAL = frozenset({"id_number", "phone"})
# The public notice lists only those who passed.
PASSED_ONLY: frozenset[Document] = frozenset({"notice"})


@dataclass(frozen=True, slots=True)
class Column:
    """One column: what fills it and its header."""

    key: str
    header: str


@dataclass(frozen=True, slots=True)
class DocumentLayout:
    """A document's title, its form fields (application only) and table columns."""

    title: str
    columns: tuple[Column, ...]
    fields: tuple[Column, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimTemplate:
    """One city's layout of every document of the claim pack."""

    id: str
    name: str
    city: str
    organiser: str
    documents: Mapping[Document, DocumentLayout]


def _bad(template_id: str, why: str) -> ValueError:
    return ValueError(f"claim template {template_id!r}: {why}")


def _columns(template_id: str, raw: Any, allowed: frozenset[str]) -> tuple[Column, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad(template_id, "columns must be a non-empty list")
    columns = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"key", "header"}:
            raise _bad(template_id, f"each column is {{key, header}}, not {item!r}")
        if item["key"] not in allowed:
            raise _bad(template_id, f"unknown column key {item['key']!r}")
        columns.append(Column(str(item["key"]), str(item["header"])))
    return tuple(columns)


def parse_template(template_id: str, raw: Mapping[str, Any]) -> ClaimTemplate:
    """Return a template from its parsed YAML; refuse unknown documents or column keys."""
    docs = raw.get("documents")
    if not isinstance(docs, dict) or set(docs) != set(DOCUMENTS):
        raise _bad(template_id, f"documents must be exactly {', '.join(DOCUMENTS)}")
    layouts: dict[Document, DocumentLayout] = {}
    for doc in DOCUMENTS:
        body = docs[doc]
        fields = (_columns(template_id, body["fields"], APPLICATION_FIELDS)
                  if doc == "application" else ())
        layouts[doc] = DocumentLayout(str(body["title"]),
                                      _columns(template_id, body.get("columns"),
                                               COLUMN_KEYS[doc]), fields)
    return ClaimTemplate(template_id, str(raw.get("name", template_id)),
                         str(raw.get("city", "")), str(raw.get("organiser", "")), layouts)


def check_request(document: str, fmt: str) -> Document:
    """Return the document asked for; refuse unknown documents and formats."""
    if document not in DOCUMENTS:
        raise ValidationFailed(f"Ask for one of: {', '.join(DOCUMENTS)}.",
                               code="unknown_document")
    if fmt not in FORMATS:
        raise ValidationFailed("Ask for .xlsx or .pdf.", code="unknown_format")
    return document
