"""`jiangxin draw verify`: recompute a lottery from its public document alone."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any, TypeAlias
from uuid import UUID

from services.enrollment.domain.lottery import verify_document

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
DEFAULT_URL = "http://127.0.0.1:8081"


def register(commands: Commands) -> None:
    """Add `draw verify` to the `jiangxin` parser."""
    draw = commands.add_parser("draw", help="lotteries (摇号)")
    actions = draw.add_subparsers(dest="draw_action", required=True)
    verify = actions.add_parser("verify", help="recompute a draw from its public document")
    verify.add_argument("class_id", type=UUID)
    source = verify.add_mutually_exclusive_group()
    source.add_argument("--url", default=DEFAULT_URL,
                        help=f"the enrollment service or gateway (default {DEFAULT_URL})")
    source.add_argument("--file", type=Path, help="a saved copy of the public document")
    verify.set_defaults(func=lambda a: verify_draw(a.class_id, url=a.url, file=a.file))


def fetch_document(class_id: UUID, *, url: str, file: Path | None) -> dict[str, Any]:
    """Read the public draw document from a file or from GET /api/v1/classes/{id}/draw."""
    if file is not None:
        doc: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        return doc
    address = f"{url.rstrip('/')}/api/v1/classes/{class_id}/draw"
    with urllib.request.urlopen(address, timeout=30) as resp:
        fetched: dict[str, Any] = json.loads(resp.read())
        return fetched


def verify_draw(class_id: UUID, *, url: str, file: Path | None) -> int:
    """Print whether the published draw of a class recomputes; 0 when it does, 1 otherwise."""
    doc = fetch_document(class_id, url=url, file=file)
    if str(doc.get("class_id")) != str(class_id):
        print(f"the document is about class {doc.get('class_id')}, not {class_id}")
        return 1
    verdict = verify_document(doc)
    if verdict.ok:
        offered = sum(e["outcome"] == "offered" for e in doc["entries"])
        print(f"verified: class {class_id}, {len(doc['entries'])} applications, "
              f"{offered} offers; sha256(seed) matches the commitment and every rank and "
              "outcome recomputes")
        return 0
    print(f"NOT verified: class {class_id}", file=sys.stderr)
    for problem in verdict.problems[:20]:
        print(f"  {problem}", file=sys.stderr)
    if len(verdict.problems) > 20:
        print(f"  ... and {len(verdict.problems) - 20} more", file=sys.stderr)
    return 1
