"""HTML pages: the dev inbox and the unsubscribe confirmation (escaped by jinja2)."""

from __future__ import annotations

import jinja2

from services.notification.views.models import Inbox

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("services.notification", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
)


def inbox_page(inbox: Inbox) -> str:
    """Render captured messages, newest first; sign-in codes stand out."""
    return _ENV.get_template("inbox.html.j2").render(items=inbox.items)


def unsubscribe_page(*, token: str, done: bool) -> str:
    """Render the opt-out confirmation (GET asks, POST confirms)."""
    return _ENV.get_template("unsubscribe.html.j2").render(token=token, done=done)
