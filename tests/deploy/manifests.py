"""Read the deployment files and relate their settings to the services' Settings models."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from deploy.gateway import REPO, settings_class
from services import SERVICE_NAMES

DEPLOY = REPO / "deploy"
WORKDIR = "/app"  # the image's working directory: relative paths in settings start here

# The key policy (issue 15; docs/operations.md, "Keys"): the key files each service reads, and
# so all it may be given. Only enrollment signs tokens; only certification holds the key
# wrapping the credential signing keys; ID-number keys only where a service decrypts them.
NEEDED_KEYS = {
    "enrollment": {"jwt-signing.pem", "jwt-signing.pub.pem", "pii-transport.key",
                   "pii-at-rest.key"},
    "certification": {"jwt-signing.pub.pem", "pii-transport.key", "credential-signing.key"},
    "notification": {"jwt-signing.pub.pem"},
}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Make `values` the whole environment for a while (settings read it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_yaml(path: Path) -> Any:
    """Parse one YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def settings_field(env_name: str, service: str) -> str | None:
    """Return the Settings field an environment variable sets in one service, if any."""
    fields = settings_class(service).model_fields
    for prefix in (f"JIANGXIN_{service.upper()}_", "JIANGXIN_"):
        if env_name.startswith(prefix) and env_name[len(prefix) :].lower() in fields:
            return env_name[len(prefix) :].lower()
    return None


def unknown_settings(names: Iterator[str] | list[str], services: tuple[str, ...]) -> list[str]:
    """Return the JIANGXIN_* names that set no field of any of `services`."""
    return sorted(
        name
        for name in names
        if name.startswith("JIANGXIN_")
        and not any(settings_field(name, service) for service in services)
    )


def key_files(service: str) -> list[Path]:
    """Return the default paths of the key files a service's settings read (under var/keys)."""
    defaults = (f.default for f in settings_class(service).model_fields.values())
    return [d for d in defaults if isinstance(d, Path) and d.parts[:2] == ("var", "keys")]


@functools.cache
def written_key_files() -> dict[str, frozenset[str]]:
    """Return {service: the files `jiangxin keys` writes into var/keys/<service>/}."""
    from services.cli import build_parser

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        args = build_parser().parse_args(["keys", "--dir", tmp])
        args.func(args)
        folders = list(Path(tmp).iterdir())
        assert all(p.is_dir() for p in folders), "a key file outside every service's folder"
        return {p.name: frozenset(f.name for f in p.iterdir()) for p in folders}


def nginx_binary() -> str:
    """Return the nginx executable; fail (never skip) when the set-up did not install it."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    assert found, "nginx is missing: `make test` installs it (sudo apt-get install -y nginx)"
    return found


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_alive(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


__all__ = ["DEPLOY", "NEEDED_KEYS", "REPO", "SERVICE_NAMES", "WORKDIR", "environment",
           "free_port", "key_files", "load_yaml", "nginx_binary", "process_alive",
           "settings_field", "unknown_settings", "written_key_files"]
