"""Least privilege for keys: in every way the platform runs (Compose, Kubernetes, `make run`),
each service can read only the key files it needs, from its own folder var/keys/<service>/.

"Can read" is what a service's container mounts (Compose volumes as the setup container fills
them, Kubernetes Secret items) or, for `make run`, the folder its settings point to and the
environment the supervisor gives it. Locally every process runs as the same user, so there the
separation is one of configuration (each process is told only its own folder and settings).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.gateway import settings_class
from deploy.local import run
from services import SERVICE_NAMES
from services.cli import build_parser
from shared.auth import TokenIssuer, TokenVerifier
from shared.config import ServiceSettings
from tests.deploy.kube import Objects
from tests.deploy.manifests import (
    DEPLOY,
    NEEDED_KEYS,
    WORKDIR,
    environment,
    load_yaml,
    written_key_files,
)


def key_paths(settings: ServiceSettings) -> set[Path]:
    """Return every key file a service's settings point to."""
    return {value for name, value in settings.model_dump().items()
            if name.endswith("_file") and isinstance(value, Path) and "keys" in value.parts}


def test_the_keys_jiangxin_keys_writes_are_exactly_what_each_service_needs() -> None:
    assert written_key_files() == NEEDED_KEYS


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_services_settings_read_keys_only_from_its_own_folder(service: str) -> None:
    with environment({}):
        paths = key_paths(settings_class(service)())
    assert {p.name for p in paths} == NEEDED_KEYS[service]
    assert {p.parent for p in paths} == {Path("var/keys") / service}


def _make_keys(directory: Path) -> None:
    args = build_parser().parse_args(["keys", "--dir", str(directory)])
    args.func(args)


def test_key_files_are_private_from_the_start_and_shared_ones_are_the_same_key(
    tmp_path: Path,
) -> None:
    _make_keys(tmp_path)
    for folder in tmp_path.iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for file in folder.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    public = {(tmp_path / s / "jwt-signing.pub.pem").read_bytes() for s in SERVICE_NAMES}
    assert len(public) == 1
    transport = {(tmp_path / s / "pii-transport.key").read_bytes()
                 for s in ("enrollment", "certification")}
    assert len(transport) == 1
    issuer = TokenIssuer((tmp_path / "enrollment" / "jwt-signing.pem").read_bytes(),
                         issuer="i", audience="a")
    verifier = TokenVerifier(public.pop(), issuer="i", audience="a")
    assert verifier.verify(issuer.mint(uuid4(), "admin")).role == "admin"


def test_keys_of_the_flat_layout_move_into_the_folders_of_the_services_that_read_them(
    tmp_path: Path,
) -> None:
    # The token key files had the names of an Ed25519 key then.
    renamed = {"jwt-signing.pem": "jwt-ed25519.pem", "jwt-signing.pub.pem": "jwt-ed25519.pub.pem"}
    flat = {name: os.urandom(8) for name in ("jwt-signing.pem", "jwt-signing.pub.pem",
                                             "pii-transport.key", "pii-at-rest.key",
                                             "credential-signing.key")}
    for name, data in flat.items():
        (tmp_path / renamed.get(name, name)).write_bytes(data)
    _make_keys(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SERVICE_NAMES)
    for service, names in NEEDED_KEYS.items():
        assert {p.name for p in (tmp_path / service).iterdir()} == names
        for name in names:
            assert (tmp_path / service / name).read_bytes() == flat[name]


def test_an_ed25519_token_key_of_an_earlier_release_is_renamed_and_keeps_signing(
    tmp_path: Path,
) -> None:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    old_token = TokenIssuer(private, issuer="i", audience="a").mint(uuid4(), "trainee")
    for service in SERVICE_NAMES:
        (tmp_path / service).mkdir(mode=0o700)
        (tmp_path / service / "jwt-ed25519.pub.pem").write_bytes(public)
    (tmp_path / "enrollment" / "jwt-ed25519.pem").write_bytes(private)
    _make_keys(tmp_path)
    for service, names in NEEDED_KEYS.items():
        assert {p.name for p in (tmp_path / service).iterdir()} == names
        assert (tmp_path / service / "jwt-signing.pub.pem").read_bytes() == public
    assert (tmp_path / "enrollment" / "jwt-signing.pem").read_bytes() == private
    # A token signed before the upgrade is still accepted, and new ones are signed alike.
    verifier = TokenVerifier(public, issuer="i", audience="a")
    assert verifier.verify(old_token).role == "trainee"
    issuer = TokenIssuer(private, issuer="i", audience="a")
    assert issuer.algorithm == "EdDSA"
    assert verifier.verify(issuer.mint(uuid4(), "admin")).role == "admin"


# --- what each service can read, where it runs --------------------------------------------

def compose_readable(service: str) -> tuple[set[str], set[Path]]:
    """Return (key files readable, key paths its settings name) of a Compose service."""
    compose: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    filled = {}  # volume -> the service folder the setup container writes into it
    for mount in compose["services"]["setup"].get("volumes", []):
        volume, path = mount.split(":")[:2]
        if path.startswith(f"{WORKDIR}/var/keys"):
            filled[volume] = Path(path).relative_to(f"{WORKDIR}/var/keys").parts
    readable: set[str] = set()
    mounted = []
    for mount in compose["services"][service].get("volumes", []):
        volume, path = mount.split(":")[:2]
        if volume in filled:
            mounted.append(Path(path))
            (folder,) = filled[volume] or ("",)
            readable |= written_key_files().get(folder, set().union(*written_key_files().values()))
    with environment({k: str(v) for k, v in compose["services"][service]["environment"].items()}):
        paths = {WORKDIR / p for p in key_paths(settings_class(service)())}
    return readable, {p for p in paths if not any(p.is_relative_to(m) for m in mounted)}


def kubernetes_readable(variant: str, service: str) -> tuple[set[str], set[Path]]:
    """Return (key files readable, key paths outside its mounts) of a service's pods."""
    from tests.deploy.test_kubernetes import ROLES, deployment, effective_settings

    objects = Objects.of(variant)
    readable: set[str] = set()
    unmounted: set[Path] = set()
    for role in ROLES:
        name = deployment(service, role)
        pod = objects.pod(name)
        secrets = {v["name"]: v["secret"] for v in pod.get("volumes", []) if "secret" in v}
        mounts = []
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for mount in container.get("volumeMounts", []):
                secret = secrets.get(mount["name"], {})
                if secret.get("secretName", "").endswith("-keys"):
                    readable |= {item["path"] for item in secret["items"]}
                    mounts.append(Path(mount["mountPath"]))
        paths = {WORKDIR / p for p in key_paths(effective_settings(objects, service, role))}
        unmounted |= {p for p in paths if not any(p.is_relative_to(m) for m in mounts)}
    return readable, unmounted


def local_run_readable(service: str) -> tuple[set[str], set[str]]:
    """Return (key files readable, other services' settings it is given) under `make run`,
    even when the developer's shell sets another service's key file."""
    leak = {f"JIANGXIN_{s.upper()}_JWT_PRIVATE_KEY_FILE": f"var/keys/{s}/jwt-signing.pem"
            for s in SERVICE_NAMES}
    with environment({**os.environ, **leak}):
        options = run._arguments([])
        env = run._environment(options)
    ports = {name: [8081 + k] for k, name in enumerate(SERVICE_NAMES)}
    (child,) = (c for c in run._children(options, ports, []) if c.service == service)
    child_env = run.child_environment(env, child)
    strangers = {k for k in child_env for s in SERVICE_NAMES
                 if s != service and k.startswith(f"JIANGXIN_{s.upper()}_")}
    with environment(child_env):
        names = {p.name for p in key_paths(settings_class(service)())
                 if p.parent == Path("var/keys") / service}
    folder = written_key_files()[service] if names else set()
    return set(folder), strangers


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_under_compose_a_service_can_read_only_the_keys_it_needs(service: str) -> None:
    readable, outside = compose_readable(service)
    assert readable <= NEEDED_KEYS[service], f"{service} can read {readable - NEEDED_KEYS[service]}"
    assert outside == set(), f"{service}'s settings name keys it has not mounted"


@pytest.mark.parametrize("variant", ["base", "production"])
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_on_kubernetes_a_service_can_read_only_the_keys_it_needs(
    variant: str, service: str
) -> None:
    readable, outside = kubernetes_readable(variant, service)
    assert readable <= NEEDED_KEYS[service], f"{service} can read {readable - NEEDED_KEYS[service]}"
    assert outside == set(), f"{service}'s settings name keys it has not mounted"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_under_make_run_a_service_is_given_only_its_own_keys_and_settings(service: str) -> None:
    readable, strangers = local_run_readable(service)
    assert readable <= NEEDED_KEYS[service], f"{service} can read {readable - NEEDED_KEYS[service]}"
    assert strangers == set(), f"{service} is given other services' settings: {strangers}"


# --- database roles ----------------------------------------------------------------------

@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_under_compose_each_service_logs_in_as_its_own_role_and_only_setup_is_admin(
    service: str,
) -> None:
    compose: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    env = compose["services"][service]["environment"]
    url = urlsplit(env[f"JIANGXIN_{service.upper()}_DATABASE_URL"])
    assert (url.username, url.path) == (f"jiangxin_{service}", f"/jiangxin_{service}")
    assert "JIANGXIN_ADMIN_DATABASE_URL" not in env
    setup = compose["services"]["setup"]["environment"]
    assert urlsplit(setup[f"JIANGXIN_{service.upper()}_DATABASE_URL"]).username == url.username
    assert urlsplit(setup["JIANGXIN_ADMIN_DATABASE_URL"]).username == "postgres"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_under_compose_each_service_logs_in_to_the_broker_as_its_own_user(service: str) -> None:
    compose: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    env = compose["services"][service]["environment"]
    with environment({k: str(v) for k, v in env.items()}):
        settings = settings_class(service)()
    assert urlsplit(settings.amqp_url).username == f"jiangxin_{service}"
    assert "JIANGXIN_BROKER_ADMIN_URL" not in env
    setup = compose["services"]["setup"]
    assert "jiangxin broker-users && jiangxin topology" in setup["command"][-1]
    assert setup["environment"][f"JIANGXIN_{service.upper()}_AMQP_URL"] == env[
        f"JIANGXIN_{service.upper()}_AMQP_URL"]
    assert urlsplit(setup["environment"]["JIANGXIN_BROKER_ADMIN_URL"]).port == 15672


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_under_make_run_a_service_uses_its_own_role_and_broker_user_once_they_exist(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with environment({}):
        before = settings_class(service)()
    assert urlsplit(before.database_url).username == "postgres"  # nothing made yet
    assert urlsplit(before.amqp_url).username == "guest"
    folder = tmp_path / "var" / "keys" / service
    folder.mkdir(parents=True)
    (folder / "database-password").write_text("d/b+1\n")
    (folder / "broker-password").write_text("b@2\n")
    with environment({}):  # only make run reads them (tests, benchmarks never)
        ignored = settings_class(service)()
    assert (ignored.database_url, ignored.amqp_url) == (before.database_url, before.amqp_url)
    with environment({"JIANGXIN_LOCAL_ACCOUNTS": "true"}):
        after = settings_class(service)()
    database, broker = urlsplit(after.database_url), urlsplit(after.amqp_url)
    assert (database.username, unquote(database.password or "")) == (f"jiangxin_{service}",
                                                                      "d/b+1")
    assert database.path == f"/jiangxin_{service}"
    assert (broker.username, unquote(broker.password or "")) == (f"jiangxin_{service}", "b@2")
    with environment({"JIANGXIN_AMQP_URL": "amqp://other:x@h:5672/",
                      "JIANGXIN_LOCAL_ACCOUNTS": "true",
                      f"JIANGXIN_{service.upper()}_DATABASE_URL": "postgresql://r@h/d"}):
        configured = settings_class(service)()
    assert (configured.amqp_url, configured.database_url) == ("amqp://other:x@h:5672/",
                                                              "postgresql://r@h/d")
