"""`jiangxin migrate`'s own roles and `jiangxin broker-users`: each service's own accounts."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from shared.accounts import ensure_database_owner
from shared.config import ServiceSettings
from shared.keyfiles import KEYS_DIR
from shared.messaging.users import broker_user, user_admin
from shared.private_files import create_private_file


class ServiceInfo(Protocol):
    """What these commands read of a service (shared.cli.ServiceInfo has it)."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> type[ServiceSettings]: ...


async def own_role(info: ServiceInfo, settings: ServiceSettings) -> ServiceSettings:
    """Give the service its own role and database; with no database URL configured, the role
    jiangxin_<service> with a new password in var/keys/<service>/database-password."""
    if "database_url" not in settings.model_fields_set:
        password = secrets.token_urlsafe(32).encode()
        create_private_file(KEYS_DIR / info.name / "database-password", password)
        settings = info.settings(local_accounts=True)
    for line in await ensure_database_owner(settings.admin_database_url, settings.database_url):
        print(f"{info.name}: {line}")
    return settings


async def broker_users(services: Mapping[str, ServiceInfo]) -> int:
    """Make each service's broker user; exit 2 when users cannot be managed from here."""
    logins: dict[str | None, list[str]] = {}
    for info in services.values():
        settings = info.settings()
        if "amqp_url" in settings.model_fields_set:
            logins.setdefault(urlsplit(settings.amqp_url).username, []).append(info.name)
    if shared := {user: names for user, names in logins.items() if len(names) > 1}:
        # One account for several services (JIANGXIN_AMQP_URL): restricting it to one service's
        # queues would lock the others out. Each service needs a URL of its own.
        raise SystemExit(f"broker users {shared} are shared between services: set "
                         "JIANGXIN_<SERVICE>_AMQP_URL for each, or neither for jiangxin_<service>")
    for info in services.values():
        settings = info.settings(local_accounts=True)
        url, password_file = settings.amqp_url, KEYS_DIR / info.name / "broker-password"
        own = "amqp_url" not in settings.model_fields_set
        if own and not password_file.is_file():  # the first time: a new user and password
            url = _with_login(url, f"jiangxin_{info.name}", secrets.token_urlsafe(24))
        admin = user_admin(admin_url=settings.broker_admin_url, amqp_url=url)
        user = broker_user(url, namespace=settings.namespace, service=info.name)
        if admin is None:
            print(f"{info.name}: cannot manage broker users here (no JIANGXIN_BROKER_ADMIN_URL, "
                  f"no rabbitmqctl for this broker); it keeps logging in as "
                  f"{urlsplit(settings.amqp_url).username}")
            return 2
        if user.name == "guest":
            raise SystemExit(f"{info.name}: logs in as guest; set JIANGXIN_"
                             f"{info.name.upper()}_AMQP_URL to a user of its own")
        done = await admin.apply(user)
        if own:
            create_private_file(password_file, user.password.encode())
        print(f"{info.name}: broker user {user.name} {done}, vhost {user.vhost}, "
              f"configure/read {user.configure}")
    return 0


def _with_login(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password, safe='')}@{host}"))
