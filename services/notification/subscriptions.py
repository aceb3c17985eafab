"""The events the notification service consumes, each translated into a command."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.notification.commands import Notify
from services.notification.handlers import intake, intake_batch
from services.notification.handlers.deps import Deps
from services.notification.templates.variables import SPECS
from shared.events.catalog import EnrollmentAttended, EnrollmentNoShow
from shared.events.envelope import Event
from shared.messaging.subscriptions import HandlerContext, Subscriptions


def build_subscriptions(deps: Callable[[], Deps]) -> Subscriptions:
    """Subscribe every trainee-facing event to the intake use case."""
    subs = Subscriptions()

    async def on_event(event: Event, ctx: HandlerContext) -> None:
        opened = ctx.prepared if isinstance(ctx.prepared, intake.Opened) else None
        await intake.notify(_notify(event, ctx), uow=ctx.uow, deps=deps(), opened=opened)

    async def prepare(batch: Sequence[tuple[Event, HandlerContext]]) -> Sequence[object]:
        cmds = [_notify(event, ctx) for event, ctx in batch]
        return await intake_batch.prepare_many(cmds, uow=batch[0][1].uow, deps=deps())

    for spec in SPECS:
        subs.add(spec.event_cls, on_event, prepare=prepare)
    # Attendance facts concern trainers and records, not the trainee's phone.
    subs.ignore(EnrollmentAttended, EnrollmentNoShow)
    return subs


def _notify(event: Event, ctx: HandlerContext) -> Notify:
    envelope = ctx.envelope
    return Notify(source_message_id=envelope.message_id, event=event,
                  correlation_id=envelope.correlation_id, traceparent=envelope.traceparent)


def _unbound() -> Deps:
    raise RuntimeError("the notification subscriptions run only inside create_app")


# The module-level set describes the topology (CLI); create_app binds its own to real deps.
subscriptions = build_subscriptions(_unbound)
