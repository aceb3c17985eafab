"""The CJK font the services' PDFs are set in (reportlab), registered once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

# The viewer's built-in CID font: named in the PDF, not embedded.
BUILTIN_CJK = "STSong-Light"


@lru_cache(maxsize=4)
def font_name(font_file: str, subfont_index: int) -> str:
    """Register the CJK font once and return its name: the TrueType file (embedded, subset)
    when installed, else the viewer's built-in CID font (not embedded)."""
    path = Path(font_file)
    if path.is_file():
        name = f"CJK-{path.stem}-{subfont_index}"
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=subfont_index))
        return name
    pdfmetrics.registerFont(UnicodeCIDFont(BUILTIN_CJK))
    return BUILTIN_CJK
