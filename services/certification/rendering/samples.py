"""Render one certificate of each kind with sample data as a PNG (docs/screenshots).

`python -m services.certification.rendering.samples [DIR]` writes pdf-skill-level.png and
pdf-training.png; the data are fixed, so a run changes the files only when the layout does.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]

from services.certification.config import Settings
from services.certification.rendering.pdf import PrintedCertificate, render
from shared.fonts import font_name

_COMMON = {
    "locale": "zh-CN", "holder_name": "张*三", "id_type": "resident_id",
    "id_number": "**************1234", "issued_on": date(2026, 12, 7),
    "issuer": "匠心职业技能评价中心", "verify_url": "https://certs.example.org/verify/7Q2M4KX9PA",
}
SAMPLES = {
    "pdf-skill-level": PrintedCertificate(
        kind="skill_level", occupation="育婴员", work_type=None, level=4,
        level_name="四级/中级工", course_title="育婴员", hours=None,
        number="S000036000001264000042", expires_on=None, **_COMMON),  # type: ignore[arg-type]
    "pdf-training": PrintedCertificate(
        kind="training", occupation="礼仪服务", work_type=None, level=None, level_name=None,
        course_title="礼仪培训", hours=24.0, number="JX-2026-000042", expires_on=None,
        **_COMMON),  # type: ignore[arg-type]
}


def write_samples(directory: Path) -> list[Path]:
    """Render every sample into `directory`; return the files written."""
    settings = Settings()
    font = font_name(str(settings.pdf_font_file), settings.pdf_font_subfont_index)
    written = []
    for name, printed in SAMPLES.items():
        pdf = render(printed, font=font)
        image = pypdfium2.PdfDocument(pdf)[0].render(scale=1.5).to_pil()
        image.save(directory / f"{name}.png", optimize=True)
        written.append(directory / f"{name}.png")
    return written


if __name__ == "__main__":
    for path in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")):
        print(f"wrote {path}")
