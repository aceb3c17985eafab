"""The events the certification service consumes, each translated into a command."""

from __future__ import annotations

from collections.abc import Callable

from services.certification import handlers
from services.certification.commands import RecordClassTrainers, RecordResult
from services.certification.handlers.deps import Issuing
from shared.errors import DomainError, PermanentFailure
from shared.events.catalog import ClassTrainersChanged, EnrollmentCompleted
from shared.messaging.subscriptions import HandlerContext, Subscriptions


def build_subscriptions(deps: Callable[[], Issuing]) -> Subscriptions:
    """Return the subscriptions, their handlers reaching the app's issuer through `deps`."""
    subs = Subscriptions()

    @subs.on(EnrollmentCompleted)
    async def on_enrollment_completed(event: EnrollmentCompleted, ctx: HandlerContext) -> None:
        try:
            await handlers.record_result(RecordResult.from_event(event), uow=ctx.uow,
                                         deps=deps())
        except DomainError as exc:  # e.g. a used-up serial range: retrying cannot help
            raise PermanentFailure(f"{exc.code}: {exc.detail}") from exc

    @subs.on(ClassTrainersChanged)
    async def on_class_trainers_changed(event: ClassTrainersChanged, ctx: HandlerContext) -> None:
        await handlers.record_class_trainers(RecordClassTrainers.from_event(event), uow=ctx.uow)

    return subs


def _not_bound() -> Issuing:
    raise RuntimeError("use the subscriptions of an app built by create_app")


# The catalogue's view (topology, AsyncAPI); each app builds its own bound copy in create_app,
# because a HandlerContext carries no app resources.
subscriptions = build_subscriptions(_not_bound)
