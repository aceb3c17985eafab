"""Find personal data written unmasked in log lines: phones, ID numbers, emails, sign-in codes.

Used by the pytest plugin tests/support/log_guard.py on every log line of a test run, and as a
command for any folder of log files (`make test-long` and by hand):

    python -m tests.support.log_scan LOG_DIR [--known FILE]

FILE lists values the run generated (sign-in codes, phones, emails), one a line; any of them
found in a log is a hit too, wherever it stands. The masked forms of shared/masking.py
(138****8000, +86138****8000, 4601**********1234, 张*三, a***@x.org, "***") are not hits.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.masking import mask_email, mask_id_number, mask_phone

# A candidate never continues a word, a number or a mask on either side: 138****8000 is the
# masked form, jx_run_13800138000 a generated name, 0.13800138000 a fraction.
_L = r"(?<![0-9A-Za-z_*.+])"
_R = r"(?![0-9A-Za-z_*])"
_CODE_KEY = r"(?:(?:sms_|otp_|sign_in_|verification_)?code|otp|passcode|验证码|校验码|动态码)"
_CANDIDATES = re.compile(
    rf"(?P<email>(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    rf"\.[A-Za-z]{{2,}}(?![A-Za-z0-9-]))"
    rf"|(?P<e164>(?<![0-9A-Za-z_*+])\+[1-9]\d{{7,14}}{_R})"
    rf"|(?P<mobile>{_L}1[3-9]\d{{9}}{_R})"
    rf"|(?P<id18>{_L}[1-9]\d{{16}}[0-9Xx]{_R})"
    rf"|(?P<id15>{_L}[1-9]\d{{14}}{_R})"
    rf"|(?P<passport>{_L}[A-Z]{{1,2}}\d{{7,9}}{_R})"
    rf"|(?P<code>(?<![0-9A-Za-z_]){_CODE_KEY}\W{{0,4}}\d{{6}}{_R})"
    rf"|(?P<digits>{_L}\d{{6}}{_R})",
    re.ASCII | re.IGNORECASE,
)
_UPPER = re.compile(r"[A-Z]{1,2}\d+")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KINDS = {
    "email": "email address",
    "e164": "phone number",
    "mobile": "mobile number",
    "id18": "ID number",
    "id15": "ID number (15-digit)",
    "passport": "passport-like number",
    "code": "sign-in code",
}


@dataclass(frozen=True)
class Hit:
    """One piece of personal data found in a line."""

    kind: str
    group: str
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    """A line that carries personal data, with where it was written."""

    source: str
    lineno: int
    kinds: tuple[str, ...]
    masked_line: str

    def __str__(self) -> str:
        return f"{self.source}:{self.lineno}: {', '.join(self.kinds)}: {self.masked_line}"


def hits(line: str, known: Collection[str] = ()) -> list[Hit]:
    """Return the personal data in one line; `known` values are hits wherever they stand."""
    found = []
    for match in _CANDIDATES.finditer(line):
        group, value = match.lastgroup or "", match.group()
        if group == "digits":
            if value in known:
                found.append(Hit("sign-in code the tests requested", group, *match.span()))
        elif value in known or _plausible(group, value):
            found.append(Hit(_KINDS[group], group, *match.span()))
    return found


def mask_line(line: str, found: Sequence[Hit]) -> str:
    """Return the line with every hit masked as shared/masking.py would mask it."""
    for hit in sorted(found, key=lambda h: h.start, reverse=True):
        masked = _MASKS[hit.group](line[hit.start : hit.end])
        line = line[: hit.start] + masked + line[hit.end :]
    return line


def scan_lines(
    lines: Iterable[str], *, source: str, known: Collection[str] = ()
) -> Iterator[Finding]:
    """Yield a finding for every line carrying personal data."""
    for lineno, raw in enumerate(lines, 1):
        line = _ANSI.sub("", raw.rstrip("\n"))
        found = hits(line, known)
        if found:
            kinds = tuple(dict.fromkeys(h.kind for h in found))
            yield Finding(source, lineno, kinds, mask_line(line, found)[:400])


def scan_folder(folder: Path, *, known: Collection[str] = ()) -> list[Finding]:
    """Scan every *.log file below `folder`."""
    findings: list[Finding] = []
    for path in sorted(folder.rglob("*.log")):
        with path.open(encoding="utf-8", errors="replace") as lines:
            source = str(path.relative_to(folder))
            findings.extend(scan_lines(lines, source=source, known=known))
    return findings


def report(findings: Sequence[Finding], *, most: int = 40) -> list[str]:
    """Return the lines that tell a reader what leaked where (the leaked values masked)."""
    if not findings:
        return []
    lines = [f"{len(findings)} log line(s) carry unmasked personal data:"]
    lines += [f"  {finding}" for finding in findings[:most]]
    if len(findings) > most:
        lines.append(f"  ... and {len(findings) - most} more")
    return lines


def _plausible(group: str, value: str) -> bool:
    if group == "id18":
        return _is_date(value[6:10], value[10:12], value[12:14])
    if group == "id15":
        return _is_date("19" + value[6:8], value[8:10], value[10:12])
    if group == "passport":
        return _UPPER.fullmatch(value) is not None  # IGNORECASE made [A-Z] take lower case too
    return True


def _is_date(year: str, month: str, day: str) -> bool:
    try:
        return 1900 <= date(int(year), int(month), int(day)).year <= 2100
    except ValueError:
        return False


def _mask_code(value: str) -> str:
    return value[:-6] + "******"


_MASKS: dict[str, Callable[[str], str]] = {
    "email": mask_email,
    "e164": mask_phone,
    "mobile": mask_phone,
    "id18": mask_id_number,
    "id15": mask_id_number,
    "passport": mask_id_number,
    "code": _mask_code,
    "digits": _mask_code,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Scan a folder of log files; print what leaked (masked) and exit 1 on any hit."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.log_scan", description=__doc__)
    parser.add_argument("folder", type=Path, help="scanned for *.log files, recursively")
    parser.add_argument("--known", type=Path, help="values the run generated, one a line")
    args = parser.parse_args(argv)
    known = set(args.known.read_text(encoding="utf-8").split()) if args.known else set()
    findings = scan_folder(args.folder, known=known)
    for line in report(findings) or [f"no personal data in the logs below {args.folder}"]:
        print(line)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
