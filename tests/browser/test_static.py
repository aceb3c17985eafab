"""The web front's files: every text in both languages, no HTML built from strings, nothing
inline or from another origin (the gateway's Content-Security-Policy forbids both)."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
SCRIPTS = sorted((WEB / "assets" / "js").rglob("*.js"))
# What the browser loads: web/ without its development tools (npm packages, their configuration).
SITE = [WEB / "index.html", *(WEB / "assets").rglob("*")]
MESSAGES = WEB / "assets" / "js" / "messages.js"


def locale_keys(name: str) -> set[str]:
    """Return the keys of one locale's object in messages.js."""
    text = MESSAGES.read_text(encoding="utf-8")
    block = re.search(rf"^const {name} = \{{\n(.*?)^\}};", text, re.S | re.M)
    assert block is not None, name
    return set(re.findall(r"^  '?([\w.]+)'?: ", block.group(1), re.M))


def used_keys() -> set[str]:
    """Return every literal key passed to t('...') in the scripts."""
    found: set[str] = set()
    for script in SCRIPTS:
        found.update(re.findall(r"\bt\('([\w.]+)'", script.read_text(encoding="utf-8")))
    return found


def test_chinese_and_english_have_the_same_texts() -> None:
    zh, en = locale_keys("zh"), locale_keys("en")
    assert len(zh) > 300
    assert zh - en == set()
    assert en - zh == set()


def test_every_text_the_pages_ask_for_exists() -> None:
    assert used_keys() - locale_keys("zh") == set()


def test_no_script_builds_html_from_strings_or_evaluates_code() -> None:
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
        r"setAttribute\(['\"]on|\.src\s*=|createContextualFragment"
    )
    offenders = [
        f"{script.relative_to(WEB)}:{number}: {line.strip()}"
        for script in SCRIPTS
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


def test_the_token_lives_in_session_storage_and_goes_out_only_as_a_bearer_header() -> None:
    source = "\n".join(script.read_text(encoding="utf-8") for script in SCRIPTS)
    assert "document.cookie" not in source
    assert "credentials: 'omit'" in source
    session = (WEB / "assets" / "js" / "session.js").read_text(encoding="utf-8")
    assert "sessionStorage.setItem(KEY" in session
    assert "localStorage" not in session
    assert "headers.Authorization = `Bearer ${bearer}`" in source
    assert not re.search(r"[?&](access_)?token=", source)


def test_pages_load_nothing_inline_and_nothing_from_another_origin() -> None:
    for page in [path for path in SITE if path.suffix in (".html", ".css", ".js")]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), page
        assert not re.search(r"@import|url\((['\"])?(https?:)?//", text), page
    index = (WEB / "index.html").read_text(encoding="utf-8")
    module = '<script type="module" src="/assets/js/main.js">'
    assert re.findall(r"<script[^>]*>", index) == [module]
    assert "<style" not in index
    assert " style=" not in index
    assert re.search(r" on[a-z]+=", index) is None
