"""The route table of the one origin, and the committed nginx config generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy import gateway
from deploy.routes import NOT_FOUND, ROUTES, WEB, owner_of, routes_of, served
from services import SERVICE_NAMES

# The paths issue 6 documents, with the service that must answer each.
DOCUMENTED = {
    "enrollment": [
        "/api/v1/auth", "/api/v1/auth/sms-code", "/api/v1/me", "/api/v1/me/enrollments",
        "/api/v1/users", "/api/v1/users/42", "/api/v1/courses", "/api/v1/courses/7/classes",
        "/api/v1/classes/3", "/api/v1/enrollments", "/api/v1/enrollments/9/cancel",
        "/api/v1/imports", "/api/v1/imports/5/rows", "/api/v1/admin", "/api/v1/admin/dashboard",
    ],
    "certification": [
        "/api/v1/me/certificates", "/api/v1/me/certificates/1/pdf", "/api/v1/certificates",
        "/api/v1/certificates/JX-2025-1/revoke", "/api/v1/verify", "/api/v1/verify/ABC",
        "/api/v1/status-lists/1", "/api/v1/results", "/api/v1/results/3",
        "/.well-known/did.json", "/verify", "/verify?code=ABCD", "/verify/ABCD",
        "/credentials", "/credentials/9",
    ],
    "notification": [
        "/api/v1/me/notifications", "/api/v1/me/notifications/3/read",
        "/api/v1/me/preferences", "/api/v1/notifications", "/api/v1/notifications/stats",
        "/api/v1/receipts", "/api/v1/receipts/sms", "/dev/inbox", "/dev/inbox/messages",
        "/dev/inbox.json", "/dev/inbox.json?phone=13800138000",
    ],
    WEB: ["/", "/index.html", "/courses/12", "/me/certificates", "/verifying", "/app.js"],
    NOT_FOUND: ["/api/v1/nothing", "/api/v2/courses", "/api/v1/meetings", "/api/v1/coursesx"],
}


@pytest.mark.parametrize(
    ("path", "owner"), [(path, owner) for owner, paths in DOCUMENTED.items() for path in paths]
)
def test_each_documented_path_is_owned_by_the_right_service(path: str, owner: str) -> None:
    assert owner_of(path) == owner


def test_every_service_has_operations_routes_to_its_health_and_api_description() -> None:
    for name in SERVICE_NAMES:
        rewrites = {r.path: r.upstream_path for r in routes_of(name) if r.upstream_path}
        assert rewrites == {
            f"/ops/{name}/healthz": "/healthz",
            f"/ops/{name}/readyz": "/readyz",
            f"/ops/{name}/openapi.json": "/openapi.json",
        }


def test_the_route_table_has_no_path_twice() -> None:
    paths = [route.path for route in ROUTES]
    assert len(paths) == len(set(paths))


def test_the_committed_production_config_is_what_the_generator_produces() -> None:
    committed = gateway.PRODUCTION_CONFIG.read_text(encoding="utf-8")
    assert committed == gateway.render(gateway.production_config()), (
        "deploy/nginx/nginx.conf is stale: run `make gateway-config`"
    )


def test_every_route_but_the_development_ones_is_a_location_of_the_production_config() -> None:
    text = gateway.render(gateway.production_config())
    for route in served(production=True):
        assert f"location = {route.path} {{" in text
        if not route.exact:
            assert f"location ^~ {route.path}/ {{" in text


DEV_PATHS = ["/dev/inbox", "/dev/inbox.json", "/dev/inbox.json?phone=13800138000",
             "/dev/inbox/messages", "/dev/anything"]


@pytest.mark.parametrize("path", DEV_PATHS)
def test_production_routes_no_development_path_to_any_service(path: str) -> None:
    assert owner_of(path, production=True) == NOT_FOUND
    assert owner_of(path) != NOT_FOUND or path == "/dev/anything"  # make run serves the inbox


def test_the_production_config_has_no_development_location_and_refuses_all_of_dev() -> None:
    text = gateway.render(gateway.production_config())
    for route in ROUTES:
        assert (f"location = {route.path} {{" in text) is not route.dev_only
    assert "location ^~ /dev/ {\n            default_type application/problem+json;" in text
    assert "/dev/inbox" in gateway.render(
        gateway.local_config(state_dir=Path("s"), web_root=Path("w"), ports={}, host="h", port=1))


def test_only_development_routes_are_left_out_of_production_and_all_are_under_dev() -> None:
    left_out = set(ROUTES) - set(served(production=True))
    assert left_out, "the dev inbox is a development route"
    assert all(r.dev_only and r.path.startswith("/dev/") for r in left_out)
    assert all(r.path.startswith("/dev/") == r.dev_only for r in ROUTES)


def test_production_upstreams_are_the_services_by_name_on_their_default_ports() -> None:
    upstreams = gateway.production_config().upstreams
    assert upstreams == {
        "enrollment": ("enrollment:8081",),
        "certification": ("certification:8082",),
        "notification": ("notification:8083",),
    }


def test_the_readme_documents_every_public_route() -> None:
    readme = (gateway.REPO / "README.md").read_text(encoding="utf-8")
    for route in ROUTES:
        if not route.path.startswith("/ops/"):
            assert f"`{route.path}`" in readme, route.path


def test_the_page_policy_forbids_inline_scripts_and_framing() -> None:
    policy = dict(part.split(" ", 1) for part in gateway.CSP.split("; "))
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
