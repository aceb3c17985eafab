"""Render the gateway's nginx configuration, local or production, from deploy/routes.py.

`python -m deploy.gateway production` rewrites the committed deploy/nginx/nginx.conf
(`--check` only compares); `make run` renders the local one into var/nginx/.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pwd
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import jinja2

from deploy.routes import DEV_PREFIX, RateLimit, Route, rate_limits, served
from services import SERVICE_NAMES
from shared.config import ServiceSettings

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
TEMPLATE = DEPLOY / "nginx" / "nginx.conf.j2"
PRODUCTION_CONFIG = DEPLOY / "nginx" / "nginx.conf"
PLACEHOLDER_WEB = DEPLOY / "nginx" / "placeholder"
PRODUCTION_WEB_ROOT = "/usr/share/nginx/html"
GATEWAY_PORT = 8080
# web/'s development files (npm packages, their manifest, tool configuration) live in the web
# root that `make run` serves but are no part of the site: the gateway answers 404 for them. A
# name ending in / is a folder.
WEB_DEVELOPMENT_PATHS = (
    "/node_modules/",
    "/package.json",
    "/package-lock.json",
    "/tsconfig.json",
    "/eslint.config.js",
)
PRODUCTION_STATE_DIR = "/tmp"
# The production gateway believes X-Forwarded-For only from the proxies this file names: the
# gateway image writes it at start from JIANGXIN_TRUSTED_PROXIES (deploy/nginx/real-ip.sh), the
# one setting the services read too. Without it (Compose: the gateway is the edge) it trusts
# nobody. A glob, so nginx starts (trusting nobody) even where the file was never written.
REAL_IP_FILE = "real-ip.conf"
REAL_IP_SCRIPT = DEPLOY / "nginx" / "real-ip.sh"
# Browsers reach production only over HTTPS (TLS ends at the ingress or load balancer in front):
# two years, subdomains too (RFC 6797).
HSTS = "max-age=63072000; includeSubDomains"
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


@dataclass(frozen=True)
class GatewayConfig:
    """Everything that differs between the local and the production gateway."""

    listen: str
    # Each service's servers, "host:port": nginx spreads requests over them (round robin) and
    # passes a request that could not reach one to the next.
    upstreams: Mapping[str, tuple[str, ...]]
    web_root: str
    state_dir: str
    access_log: str
    log_format: Literal["json", "console"]
    banner: str
    worker_processes: str = "auto"
    user: str | None = None
    # Peers whose X-Forwarded-For names the client (an ingress or load balancer in front):
    # the per-address request limits then count real clients, not the proxy.
    real_ip_from: tuple[str, ...] = ()
    # Production: those peers come from state_dir/REAL_IP_FILE, written at start; HSTS is
    # sent; /dev/ paths are never routed (404).
    production: bool = False


@dataclass(frozen=True)
class Location:
    """One nginx location block that proxies to a service."""

    match: str
    service: str
    upstream_path: str
    limit: RateLimit | None = None


def locations(routes: Sequence[Route]) -> list[Location]:
    """Return the nginx locations of the route table: each path and, unless exact, below it."""
    blocks = []
    for route in routes:
        rewrite = route.upstream_path or ""
        blocks.append(Location(f"= {route.path}", route.service, rewrite, route.limit))
        if not route.exact:
            blocks.append(Location(f"^~ {route.path}/", route.service, rewrite, route.limit))
    return blocks


def render(config: GatewayConfig) -> str:
    """Render the nginx configuration for one target."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=False,  # nginx syntax, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(TEMPLATE.name).render(
        banner=config.banner,
        user=config.user,
        worker_processes=config.worker_processes,
        state_dir=config.state_dir,
        log_format=config.log_format,
        access_log=config.access_log,
        csp=CSP,
        upstreams=config.upstreams,
        listen=config.listen,
        web_root=config.web_root,
        locations=locations(served(production=config.production)),
        web_development_paths=WEB_DEVELOPMENT_PATHS,
        limits=rate_limits(),
        real_ip_from=config.real_ip_from,
        real_ip_include=f"{config.state_dir}/{REAL_IP_FILE}*" if config.production else None,
        hsts=HSTS if config.production else None,
        dev_prefix=DEV_PREFIX if config.production else None,
    )


def settings_class(service: str) -> type[ServiceSettings]:
    """Return a service's Settings class."""
    settings: type[ServiceSettings] = importlib.import_module(f"services.{service}.config").Settings
    return settings


def default_ports() -> dict[str, int]:
    """Return each service's default HTTP port (what the containers listen on)."""
    return {name: settings_class(name).default_port for name in SERVICE_NAMES}


def configured_ports() -> dict[str, int]:
    """Return each service's HTTP port as its settings read it from the environment now."""
    return {name: settings_class(name)().http_port for name in SERVICE_NAMES}


def production_config() -> GatewayConfig:
    """Describe the gateway of Compose and Kubernetes: services reached by their DNS names."""
    return GatewayConfig(
        listen=str(GATEWAY_PORT),
        upstreams={name: (f"{name}:{port}",) for name, port in default_ports().items()},
        web_root=PRODUCTION_WEB_ROOT,
        state_dir=PRODUCTION_STATE_DIR,
        access_log="/dev/stdout",
        log_format="json",
        banner="Generated by `python -m deploy.gateway production` from deploy/routes.py; "
        "do not edit.",
        production=True,
    )


def instance_ports(port: int, *, scale: int = 1, step: int = 10) -> list[int]:
    """Return the HTTP ports of a service's `scale` processes: its own port, then every `step`."""
    return [port + k * step for k in range(scale)]


def local_config(
    *, state_dir: Path, web_root: Path, ports: Mapping[str, int], host: str, port: int,
    scale: int = 1, port_step: int = 10,
) -> GatewayConfig:
    """Describe the gateway `make run` starts: loopback services (`scale` processes of each,
    see instance_ports), the checkout's web root."""
    is_root = os.geteuid() == 0
    return GatewayConfig(
        listen=f"{host}:{port}",
        upstreams={
            name: tuple(f"127.0.0.1:{p}" for p in instance_ports(base, scale=scale, step=port_step))
            for name, base in ports.items()
        },
        web_root=str(web_root.resolve()),
        state_dir=str(state_dir.resolve()),
        access_log="/dev/stdout",
        log_format="console",
        banner="Generated by deploy/local/run.py from deploy/routes.py for this checkout.",
        worker_processes="1",
        user=pwd.getpwuid(os.geteuid()).pw_name if is_root else None,
    )


def has_build_step(repo: Path = REPO) -> bool:
    """Tell whether web/ is built (its package.json has a `build` script) or served as it is."""
    manifest = repo / "web" / "package.json"
    if not manifest.exists():
        return False
    return bool(json.loads(manifest.read_text(encoding="utf-8")).get("scripts", {}).get("build"))


def web_root(repo: Path = REPO) -> Path:
    """Return the folder the gateway serves: web/'s build output, web/ itself, or a placeholder."""
    web = repo / "web"
    if has_build_step(repo):
        return web / "dist"
    if web.is_dir():
        return web
    return PLACEHOLDER_WEB


def main(argv: Sequence[str] | None = None) -> int:
    """Write or check the production configuration, or print a local one."""
    parser = argparse.ArgumentParser(prog="python -m deploy.gateway")
    commands = parser.add_subparsers(dest="target", required=True)
    production = commands.add_parser("production", help="write deploy/nginx/nginx.conf")
    production.add_argument("--check", action="store_true", help="fail if it is out of date")
    local = commands.add_parser("local", help="print the configuration `make run` uses")
    local.add_argument("--port", type=int, default=GATEWAY_PORT)
    local.add_argument("--state-dir", type=Path, default=Path("var/nginx"))
    args = parser.parse_args(argv)
    if args.target == "local":
        config = local_config(
            state_dir=args.state_dir,
            web_root=web_root(),
            ports=configured_ports(),
            host="127.0.0.1",
            port=args.port,
        )
        sys.stdout.write(render(config))
        return 0
    text = render(production_config())
    current = PRODUCTION_CONFIG.read_text(encoding="utf-8") if PRODUCTION_CONFIG.exists() else ""
    if args.check:
        if current != text:
            print(f"{PRODUCTION_CONFIG} is out of date: run `python -m deploy.gateway production`")
            return 1
        return 0
    PRODUCTION_CONFIG.write_text(text, encoding="utf-8")
    print(f"wrote {PRODUCTION_CONFIG.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
