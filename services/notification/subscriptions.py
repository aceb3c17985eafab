"""The events the notification service consumes, each translated into a command."""

from __future__ import annotations

from collections.abc import Sequence

from services.notification.commands import Notify
from services.notification.deps import Deps
from services.notification.domain import superseding
from services.notification.handlers import intake, intake_batch
from services.notification.handlers.drafts import Opened
from services.notification.templates.variables import SPECS
from shared.events.catalog import EnrollmentAttended, EnrollmentNoShow, UserAccessChanged
from shared.events.envelope import Event
from shared.messaging.subscriptions import HandlerContext, Subscriptions
from shared.user_access import ORDERING as ACCESS_ORDERING
from shared.user_access import on_user_access_changed

SPEC_BY_TYPE = {spec.event_type: spec for spec in SPECS}


async def on_event(event: Event, ctx: HandlerContext[Deps]) -> None:
    """Record the messages a trainee-facing event calls for."""
    opened = ctx.prepared if isinstance(ctx.prepared, Opened) else None
    await intake.notify(_notify(event, ctx), uow=ctx.uow, deps=ctx.deps, opened=opened)


async def prepare(batch: Sequence[tuple[Event, HandlerContext[Deps]]]) -> Sequence[object]:
    """Open the intake of a batch's events with set-based statements."""
    cmds = [_notify(event, ctx) for event, ctx in batch]
    ctx = batch[0][1]
    return await intake_batch.prepare_many(cmds, uow=ctx.uow, deps=ctx.deps)


def ordering_of(event_type: str) -> str:
    """Say in words how the superseding table orders an event type's messages."""
    if "seq" not in SPEC_BY_TYPE[event_type].event_cls.model_fields:
        return ("None needed: each sign-in code is an aggregate of its own (`request_id`) and "
                "is never sent after its `expires_at`.")
    aggregate = event_type.split(".")[0].replace("enrollment", "enrolment")
    stopped_by = superseding.pointless_once(event_type)
    stops = superseding.made_pointless_by(event_type)
    return " ".join([
        f"By `seq` per {aggregate}.",
        f"Not sent once a newer {_names(stopped_by, 'or')} of the same {aggregate} is known: it is "
        "then `superseded`, whether it was waiting or arrives after it (`out_of_order`); any "
        "other news, older or newer, leaves it to go." if stopped_by else
        "Always sent: no later news makes it pointless.",
        f"It supersedes waiting {_names(stops, 'and')} messages of an older seq."
        if stops else "It supersedes nothing.",
        "A gap is not waited for. The table: services/notification/README.md.",
    ])


def _names(event_types: frozenset[str], last: str) -> str:
    names = [f"`{t.split('.', 1)[1]}`" for t in sorted(event_types)]
    return f"{', '.join(names[:-1])} {last} {names[-1]}" if len(names) > 1 else names[0]


def _notify(event: Event, ctx: HandlerContext[Deps]) -> Notify:
    envelope = ctx.envelope
    return Notify(source_message_id=envelope.message_id, event=event,
                  correlation_id=envelope.correlation_id, traceparent=envelope.traceparent)


subscriptions = Subscriptions()
for _spec in SPECS:
    subscriptions.add(_spec.event_cls, on_event, prepare=prepare,
                      ordering=ordering_of(_spec.event_type))
# Attendance facts concern trainers and records, not the trainee's phone.
subscriptions.ignore(EnrollmentAttended, EnrollmentNoShow)
# Revoked tokens: the user_access table shared/access.py reads.
subscriptions.add(UserAccessChanged, on_user_access_changed, ordering=ACCESS_ORDERING)
