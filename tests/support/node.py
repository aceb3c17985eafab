"""Install an npm manifest once (cached under var/, keyed by its hash) and run node in it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "npm"


def npm_installed(source: Path) -> Path:
    """Return a folder with `source`'s package.json installed and its .mjs scripts beside it.

    npm runs only the first time a manifest is seen; a changed manifest gets a new folder.
    """
    manifest = (source / "package.json").read_bytes()
    folder = CACHE / hashlib.sha256(manifest).hexdigest()[:16]
    if not (folder / ".installed").exists():
        _install(manifest, folder)
    for script in source.glob("*.mjs"):
        shutil.copy(script, folder / script.name)
    return folder


def run_node(
    folder: Path, script: str, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `node script args...` inside an installed folder; return what it printed."""
    return subprocess.run(
        ["node", str(folder / script), *args],
        cwd=folder, capture_output=True, text=True, timeout=timeout,
    )


def _install(manifest: bytes, folder: Path) -> None:
    # Install beside the final folder and rename it into place: a run interrupted mid-install
    # (or a second run installing the same manifest) never leaves a half-filled cache behind.
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "package.json").write_bytes(manifest)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=staging, check=True, timeout=240,
    )
    (staging / ".installed").touch()
    if folder.exists() and not (folder / ".installed").exists():
        shutil.rmtree(folder)  # left by hand or by an older layout: never trusted
    try:
        staging.rename(folder)
    except OSError:  # another run finished the same install first
        shutil.rmtree(staging, ignore_errors=True)
