"""The real nginx, with the config `make run` generates, in front of three stand-in services.

Each stand-in answers every request with its own name, the path and the headers it received,
so these tests prove where nginx sends each path and what it adds, without the real services.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import http.client
import ipaddress
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import gateway
from deploy.routes import AUTH_LIMIT, VERIFY_LIMIT, RateLimit
from services import SERVICE_NAMES
from tests.deploy.kube import K8S
from tests.deploy.manifests import DEPLOY, free_port, load_yaml, nginx_binary
from tests.deploy.test_routes import DOCUMENTED
from tests.support.infra import eventually_sync

SERVICE_CSP = "default-src 'none'; style-src 'self'"


class StandIn(BaseHTTPRequestHandler):
    """Answer with who we are and what arrived; /verify pages set their own CSP."""

    service = "?"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = len(self.rfile.read(length)) if length else 0
        body = json.dumps(
            {
                "service": self.service,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "received_bytes": received,
                "padding": "x" * (4096 if "big" in self.path else 0),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.path.startswith("/verify"):
            self.send_header("Content-Security-Policy", SERVICE_CSP)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer()

    def do_POST(self) -> None:
        """Answer a POST."""
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@dataclasses.dataclass
class Gateway:
    """A running nginx and how to talk to it."""

    port: int
    process: subprocess.Popen[bytes]

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        source: str = "127.0.0.1",
    ) -> tuple[http.client.HTTPResponse, bytes]:
        # `source`: another loopback address is another client to the gateway's limits.
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()

    def get_json(self, path: str, **headers: str) -> dict[str, Any]:
        response, body = self.request("GET", path, headers=headers)
        assert response.status == 200, (path, response.status, body[:200])
        data: dict[str, Any] = json.loads(body)
        return data


def _start_stand_ins() -> tuple[dict[str, int], list[ThreadingHTTPServer]]:
    servers = []
    for name in SERVICE_NAMES:
        handler = type(f"StandIn_{name}", (StandIn,), {"service": name})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return {n: s.server_address[1] for n, s in zip(SERVICE_NAMES, servers, strict=True)}, servers


def _web_root(directory: Path) -> Path:
    directory.mkdir()
    (directory / "index.html").write_text("<!doctype html><title>spa</title>", encoding="utf-8")
    (directory / "app.js").write_text("console.log('jiangxin');" * 100, encoding="utf-8")
    # web/'s development files, as a checkout has them after `make lint`.
    (directory / "node_modules" / "eslint").mkdir(parents=True)
    (directory / "node_modules" / "eslint" / "package.json").write_text("{}", encoding="utf-8")
    for name in ("package.json", "package-lock.json", "tsconfig.json", "eslint.config.js"):
        (directory / name).write_text("{}", encoding="utf-8")
    return directory


def start_gateway(
    tmp: Path, ports: dict[str, int], *, real_ip_from: tuple[str, ...] = ()
) -> Gateway:
    """Render the local config for these upstreams and start nginx in the foreground."""
    port = free_port()
    state = tmp / "nginx"
    state.mkdir()
    config = gateway.local_config(
        state_dir=state, web_root=_web_root(tmp / "web"), ports=ports, host="127.0.0.1", port=port
    )
    return run_nginx(state, dataclasses.replace(config, real_ip_from=real_ip_from))


def run_nginx(state: Path, config: gateway.GatewayConfig) -> Gateway:
    """Render `config` into `state` and start nginx in the foreground until it answers."""
    port = int(config.listen.rsplit(":", 1)[-1])
    conf = state / "nginx.conf"
    conf.write_text(gateway.render(config), encoding="utf-8")
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(state), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    running = Gateway(port, process)

    def listening() -> bool:
        # nginx gives no readiness signal: it is ready once it answers (or dead if it exited).
        try:
            running.request("GET", "/index.html")
            return True
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            return False

    eventually_sync(listening, timeout=10)
    return running


def stop_gateway(running: Gateway) -> None:
    """Stop nginx and wait for it."""
    running.process.terminate()
    running.process.communicate(timeout=10)


@contextlib.contextmanager
def _stand_ins() -> Iterator[dict[str, int]]:
    ports, servers = _start_stand_ins()
    try:
        yield ports
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """nginx with the local config in front of the three stand-ins."""
    with _stand_ins() as ports:
        running = start_gateway(tmp_path_factory.mktemp("gateway"), ports)
        yield running
        stop_gateway(running)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway of its own (limits keep state), trusting loopback as a proxy in front."""
    with _stand_ins() as ports:
        running = start_gateway(tmp_path, ports, real_ip_from=("127.0.0.1",))
        yield running
        stop_gateway(running)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_documented_path_reaches_its_service_unchanged(nginx: Gateway, service: str) -> None:
    for path in DOCUMENTED[service]:
        answer = nginx.get_json(path)
        assert (answer["service"], answer["path"]) == (service, path)


def test_operations_paths_reach_the_service_root(nginx: Gateway) -> None:
    for name in SERVICE_NAMES:
        for endpoint in ("healthz", "readyz", "openapi.json"):
            answer = nginx.get_json(f"/ops/{name}/{endpoint}")
            assert (answer["service"], answer["path"]) == (name, f"/{endpoint}")


def test_unknown_api_paths_get_a_problem_not_the_web_page(nginx: Gateway) -> None:
    for path in DOCUMENTED["not_found"]:
        response, body = nginx.request("GET", path)
        assert response.status == 404
        assert response.getheader("Content-Type") == "application/problem+json"
        assert json.loads(body)["code"] == "not_found"


def test_web_paths_fall_back_to_the_single_page_app_but_missing_files_are_404(
    nginx: Gateway,
) -> None:
    for path in ("/", "/courses/12", "/me/certificates"):
        response, body = nginx.request("GET", path)
        assert (response.status, body) == (200, b"<!doctype html><title>spa</title>"), path
        assert response.getheader("Cache-Control") == "no-cache"
    response, _ = nginx.request("GET", "/missing.js")
    assert response.status == 404
    response, _ = nginx.request("GET", "/app.js")
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("application/javascript")


def test_web_development_files_are_not_served(nginx: Gateway) -> None:
    for path in (
        "/node_modules/eslint/package.json",
        "/package.json",
        "/package-lock.json",
        "/tsconfig.json",
        "/eslint.config.js",
    ):
        response, _ = nginx.request("GET", path)
        assert response.status == 404, path


def test_every_development_file_of_web_is_refused_by_the_gateway() -> None:
    site = {"index.html", "assets"}  # what the pages load; the rest is for tools
    refused = {path.strip("/") for path in gateway.WEB_DEVELOPMENT_PATHS}
    present = {entry.name for entry in (gateway.REPO / "web").iterdir()}
    assert present - site <= refused
    assert "node_modules" in refused


def test_web_is_served_as_it_is_unless_its_package_json_has_a_build_script(
    tmp_path: Path,
) -> None:
    web = tmp_path / "web"
    web.mkdir()
    assert gateway.web_root(tmp_path) == web
    (web / "package.json").write_text('{"scripts": {"lint": "tsc"}}', encoding="utf-8")
    assert gateway.web_root(tmp_path) == web
    (web / "package.json").write_text('{"scripts": {"build": "vite build"}}', encoding="utf-8")
    assert gateway.web_root(tmp_path) == web / "dist"


def test_pages_carry_the_security_headers(nginx: Gateway) -> None:
    response, _ = nginx.request("GET", "/courses/12")
    assert response.getheader("Content-Security-Policy") == gateway.CSP
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"


def test_a_service_page_keeps_its_own_content_security_policy(nginx: Gateway) -> None:
    response, _ = nginx.request("GET", "/verify?code=ABCD")
    assert response.headers.get_all("Content-Security-Policy") == [SERVICE_CSP]
    assert response.getheader("X-Frame-Options") == "DENY"


def test_request_and_correlation_ids_pass_through_to_the_service(nginx: Gateway) -> None:
    answer = nginx.get_json(
        "/api/v1/courses", **{"X-Request-ID": "req-1", "X-Correlation-ID": "journey-7"}
    )
    assert answer["headers"]["x-request-id"] == "req-1"
    assert answer["headers"]["x-correlation-id"] == "journey-7"


def test_the_gateway_mints_ids_when_the_caller_sends_none(nginx: Gateway) -> None:
    headers = nginx.get_json("/api/v1/courses")["headers"]
    assert len(headers["x-request-id"]) == 32
    assert headers["x-correlation-id"] == headers["x-request-id"]


def test_the_service_learns_the_client_address_and_scheme(nginx: Gateway) -> None:
    headers = nginx.get_json("/api/v1/courses", **{"X-Forwarded-For": "203.0.113.9"})["headers"]
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    proto = nginx.get_json("/api/v1/courses", **{"X-Forwarded-Proto": "https"})["headers"]
    assert proto["x-forwarded-proto"] == "https"


def test_large_responses_are_gzipped_for_clients_that_accept_it(nginx: Gateway) -> None:
    response, body = nginx.request(
        "GET", "/api/v1/courses?big=1", headers={"Accept-Encoding": "gzip"}
    )
    assert response.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["service"] == "enrollment"


def test_uploads_up_to_5_mb_pass_and_larger_ones_get_a_413_problem(nginx: Gateway) -> None:
    response, body = nginx.request("POST", "/api/v1/imports", body=b"a" * (4 << 20))
    assert response.status == 200
    assert json.loads(body)["received_bytes"] == 4 << 20
    response, body = nginx.request("POST", "/api/v1/imports", body=b"a" * (6 << 20))
    assert response.status == 413
    assert json.loads(body)["code"] == "payload_too_large"


def test_a_service_that_is_down_gives_a_503_problem(tmp_path: Path) -> None:
    running = start_gateway(tmp_path, {name: free_port() for name in SERVICE_NAMES})
    try:
        response, body = running.request("GET", "/api/v1/courses")
    finally:
        stop_gateway(running)
    assert response.status == 503
    assert response.getheader("Content-Type") == "application/problem+json"
    assert json.loads(body)["code"] == "unavailable"


def test_the_production_config_passes_nginx_own_check(tmp_path: Path) -> None:
    # The container resolves the services by name; here they are loopback addresses.
    config = dataclasses.replace(
        gateway.production_config(),
        upstreams={name: (f"127.0.0.1:{free_port()}",) for name in SERVICE_NAMES},
        state_dir=str(tmp_path),
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(gateway.render(config), encoding="utf-8")
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _burst(
    running: Gateway,
    path: str,
    count: int,
    *,
    method: str = "GET",
    source: str = "127.0.0.2",
    **headers: str,
) -> list[tuple[int, http.client.HTTPResponse, bytes]]:
    answers = []
    for _ in range(count):
        response, body = running.request(method, path, headers=headers, source=source)
        answers.append((response.status, response, body))
    return answers


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("GET", "/api/v1/verify/ABCD2345EF", VERIFY_LIMIT),
        ("POST", "/api/v1/verify", VERIFY_LIMIT),
        ("GET", "/verify/ABCD2345EF", VERIFY_LIMIT),
        ("GET", "/verify?q=ABCD", VERIFY_LIMIT),
        ("POST", "/api/v1/auth/otp", AUTH_LIMIT),
        ("POST", "/api/v1/auth/token", AUTH_LIMIT),
    ],
)
def test_a_burst_on_a_public_path_gets_429_problems_while_normal_use_passes(
    limited: Gateway, method: str, path: str, limit: RateLimit
) -> None:
    # Normal use: a person checking a few certificates or signing in once or twice.
    for _ in range(5):
        response, _ = limited.request(method, path, source="127.0.0.3")
        assert response.status == 200
    answers = _burst(limited, path, 3 * (limit.burst + 1), method=method)
    statuses = [status for status, _, _ in answers]
    assert statuses[: limit.burst] == [200] * limit.burst  # the burst itself passes
    refused = [(response, body) for status, response, body in answers if status == 429]
    assert refused, statuses
    assert set(statuses) == {200, 429}
    for response, body in refused:
        assert response.getheader("Content-Type") == "application/problem+json"
        assert response.getheader("Retry-After") == "1"
        problem = json.loads(body)
        assert (problem["status"], problem["code"]) == (429, "rate_limited")
    # The limited client may still use the rest of the platform; other clients that path.
    other, _ = limited.request("GET", "/api/v1/courses", source="127.0.0.2")
    assert other.status == 200
    fresh, _ = limited.request(method, path, source="127.0.0.4")
    assert fresh.status == 200


def test_clients_behind_a_trusted_proxy_are_limited_each_by_their_own_address(
    limited: Gateway,
) -> None:
    path = "/api/v1/verify/ABCD2345EF"
    count = 3 * (VERIFY_LIMIT.burst + 1)
    proxy = "127.0.0.1"  # the address `limited` trusts
    flood = _burst(limited, path, count, source=proxy, **{"X-Forwarded-For": "203.0.113.7"})
    assert 429 in [status for status, _, _ in flood]
    # Through the same proxy, another client: its own allowance; the service learns who it is.
    response, body = limited.request(
        "GET", path, headers={"X-Forwarded-For": "203.0.113.8"}, source=proxy
    )
    assert response.status == 200
    assert json.loads(body)["headers"]["x-forwarded-for"].startswith("203.0.113.8")


def test_an_untrusted_peer_cannot_dodge_the_limit_with_forwarded_headers(nginx: Gateway) -> None:
    path = "/api/v1/verify/ABCD2345EF"
    statuses = [
        nginx.request(
            "GET", path, headers={"X-Forwarded-For": f"198.51.100.{n}"}, source="127.0.0.5"
        )[0].status
        for n in range(3 * (VERIFY_LIMIT.burst + 1))
    ]
    assert 429 in statuses


BROAD_PRIVATE_RANGES = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}


def test_compose_services_trust_only_the_gateways_fixed_address_and_the_gateway_nobody() -> None:
    compose = load_yaml(DEPLOY / "compose.yaml")
    trusted = json.loads(compose["x-settings"]["JIANGXIN_TRUSTED_PROXIES"])
    gateway_service = compose["services"]["gateway"]
    address = gateway_service["networks"]["default"]["ipv4_address"]
    assert trusted == [address]
    (network,) = compose["networks"]["default"]["ipam"]["config"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(network["subnet"])
    assert ipaddress.ip_address(address) not in ipaddress.ip_network(network["ip_range"])
    assert "JIANGXIN_TRUSTED_PROXIES" not in gateway_service.get("environment", {})
    for name in SERVICE_NAMES:
        env = compose["services"][name]["environment"]
        assert json.loads(env["JIANGXIN_TRUSTED_PROXIES"]) == [address]


def test_kubernetes_gateway_and_services_trust_the_one_ingress_cidr_setting() -> None:
    settings = load_yaml(K8S / "base" / "settings.yaml")
    (cidr,) = json.loads(settings["data"]["JIANGXIN_TRUSTED_PROXIES"])
    assert cidr not in BROAD_PRIVATE_RANGES
    assert ipaddress.ip_network(cidr).prefixlen >= 16
    deployment = next(yaml.safe_load_all((K8S / "base" / "gateway.yaml").read_text()))
    pod = deployment["spec"]["template"]["spec"]
    (env,) = pod["containers"][0]["env"]
    assert env == {"name": "JIANGXIN_TRUSTED_PROXIES", "valueFrom": {"configMapKeyRef": {
        "name": settings["metadata"]["name"], "key": "JIANGXIN_TRUSTED_PROXIES"}}}


def test_the_production_gateway_has_no_proxy_built_in() -> None:
    assert "set_real_ip_from" not in gateway.render(gateway.production_config())


def test_make_run_services_trust_only_their_loopback_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from deploy.local import run

    monkeypatch.delenv("JIANGXIN_TRUSTED_PROXIES", raising=False)
    env = run._environment(run._arguments([]))
    assert json.loads(env["JIANGXIN_TRUSTED_PROXIES"]) == ["127.0.0.1"]  # nginx connects from it


@pytest.mark.parametrize(("providers", "inbox"), [
    ({}, "true"),
    ({"JIANGXIN_NOTIFICATION_SMS_PROVIDERS": '["aliyun"]'}, None),
    ({"JIANGXIN_SMS_PROVIDERS": '["sink", "tencent"]'}, None),
    ({"JIANGXIN_NOTIFICATION_EMAIL_PROVIDER": "smtp"}, None),
])
def test_make_run_shows_every_message_at_once_in_the_dev_inbox_only_while_all_stay_in_the_sink(
    monkeypatch: pytest.MonkeyPatch, providers: dict[str, str], inbox: str | None
) -> None:
    from deploy.local import run

    for name in ("JIANGXIN_NOTIFICATION_DEV_INBOX", "JIANGXIN_NOTIFICATION_SMS_PROVIDERS",
                 "JIANGXIN_SMS_PROVIDERS", "JIANGXIN_NOTIFICATION_EMAIL_PROVIDER",
                 "JIANGXIN_EMAIL_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in providers.items():
        monkeypatch.setenv(name, value)
    for name in ("JIANGXIN_NOTIFICATION_QUIET_START", "JIANGXIN_NOTIFICATION_QUIET_END"):
        monkeypatch.delenv(name, raising=False)
    env = run._environment(run._arguments([]))
    assert env.get("JIANGXIN_NOTIFICATION_DEV_INBOX") == inbox
    # quiet hours are off exactly when nobody's phone can ring (everything in the dev inbox)
    quiet = (env.get("JIANGXIN_NOTIFICATION_QUIET_START"),
             env.get("JIANGXIN_NOTIFICATION_QUIET_END"))
    assert quiet == (("00:00", "00:00") if inbox else (None, None))


def _write_real_ip(state: Path, trusted: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "JIANGXIN_GATEWAY_STATE_DIR": str(state)}
    if trusted is not None:
        env["JIANGXIN_TRUSTED_PROXIES"] = trusted
    return subprocess.run(["sh", str(gateway.REAL_IP_SCRIPT)], env=env, capture_output=True,
                          text=True, check=False)


@pytest.fixture
def production(tmp_path: Path) -> Iterator[tuple[Path, gateway.GatewayConfig]]:
    """The production config on loopback: stand-ins for the services, a state dir of its own."""
    with _stand_ins() as ports:
        state = tmp_path / "nginx"
        state.mkdir()
        yield state, dataclasses.replace(
            gateway.production_config(),
            listen=f"127.0.0.1:{free_port()}",
            upstreams={name: (f"127.0.0.1:{port}",) for name, port in ports.items()},
            web_root=str(_web_root(tmp_path / "web")),
            state_dir=str(state),
            access_log=str(state / "access.log"),
        )


def test_the_production_gateway_trusts_only_the_proxies_of_the_setting_read_at_start(
    production: tuple[Path, gateway.GatewayConfig],
) -> None:
    state, config = production
    assert _write_real_ip(state, '["127.0.0.2", "10.244.0.0/16"]').returncode == 0
    assert (state / gateway.REAL_IP_FILE).read_text().splitlines() == [
        "set_real_ip_from 127.0.0.2;", "set_real_ip_from 10.244.0.0/16;"]
    running = run_nginx(state, config)
    try:
        def client_seen(source: str) -> str:
            _, body = running.request("GET", "/api/v1/courses", source=source,
                                      headers={"X-Forwarded-For": "203.0.113.7"})
            return str(json.loads(body)["headers"]["x-real-ip"])

        assert client_seen("127.0.0.2") == "203.0.113.7"  # the ingress, named by the setting
        assert client_seen("127.0.0.3") == "127.0.0.3"  # anybody else: their own address
    finally:
        stop_gateway(running)


def test_the_production_gateway_trusts_nobody_when_the_setting_is_unset(
    production: tuple[Path, gateway.GatewayConfig],
) -> None:
    state, config = production
    assert _write_real_ip(state, None).returncode == 0
    assert (state / gateway.REAL_IP_FILE).read_text() == ""
    assert _write_real_ip(state, '["10.0.0.0/8; include /etc/passwd"]').returncode == 1
    running = run_nginx(state, config)
    try:
        _, body = running.request("GET", "/api/v1/courses", source="127.0.0.2",
                                  headers={"X-Forwarded-For": "203.0.113.7"})
        assert json.loads(body)["headers"]["x-real-ip"] == "127.0.0.2"
    finally:
        stop_gateway(running)


def test_the_production_gateway_sends_hsts_and_answers_404_on_every_dev_path(
    production: tuple[Path, gateway.GatewayConfig],
) -> None:
    state, config = production
    running = run_nginx(state, config)
    try:
        for path in ("/", "/courses/12", "/api/v1/courses"):
            response, _ = running.request("GET", path)
            assert response.getheader("Strict-Transport-Security") == gateway.HSTS, path
        for path in ("/dev/inbox", "/dev/inbox.json?phone=13800138000", "/dev/inbox/x"):
            response, body = running.request("GET", path)
            assert response.status == 404, path
            assert json.loads(body)["code"] == "not_found"
    finally:
        stop_gateway(running)


def test_the_local_gateway_sends_no_hsts(nginx: Gateway) -> None:
    response, _ = nginx.request("GET", "/")
    assert response.getheader("Strict-Transport-Security") is None
