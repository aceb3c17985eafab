"""The QR code of a check-in link as rows of modules, for the trainer's screen to draw."""

from __future__ import annotations

from reportlab.graphics.barcode.qr import QrCodeWidget


def qr_rows(text: str) -> list[str]:
    """Return the QR matrix of `text` (error correction M) as rows of '1' (dark) and '0'."""
    code = QrCodeWidget(text, barLevel="M").qr
    code.make()
    return ["".join("1" if m else "0" for m in row) for row in code.modules]
