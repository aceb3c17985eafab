"""The events the notification service consumes, each translated into a command."""

from __future__ import annotations

from collections.abc import Callable

from services.notification.commands import Notify
from services.notification.handlers import intake
from services.notification.handlers.deps import Deps
from services.notification.templates.variables import SPECS
from shared.events.catalog import EnrollmentAttended, EnrollmentNoShow
from shared.events.envelope import Event
from shared.messaging.subscriptions import HandlerContext, Subscriptions


def build_subscriptions(deps: Callable[[], Deps]) -> Subscriptions:
    """Subscribe every trainee-facing event to the intake use case."""
    subs = Subscriptions()

    async def on_event(event: Event, ctx: HandlerContext) -> None:
        envelope = ctx.envelope
        cmd = Notify(source_message_id=envelope.message_id, event=event,
                     correlation_id=envelope.correlation_id, traceparent=envelope.traceparent)
        await intake.notify(cmd, uow=ctx.uow, deps=deps())

    for spec in SPECS:
        subs.add(spec.event_cls, on_event)
    # Attendance facts concern trainers and records, not the trainee's phone.
    subs.ignore(EnrollmentAttended, EnrollmentNoShow)
    return subs


def _unbound() -> Deps:
    raise RuntimeError("the notification subscriptions run only inside create_app")


# The module-level set describes the topology (CLI); create_app binds its own to real deps.
subscriptions = build_subscriptions(_unbound)
