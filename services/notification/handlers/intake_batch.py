"""Open the intake of a consumer batch's events together: two statements for all of them.

What each event's handler then does is unchanged (`intake.notify` with the opened intake): it
writes whatever the batch did not (refusals, fallbacks, rows the rate limits reschedule) and
announces what must be announced, each in its own message's journey.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from services.notification import repository
from services.notification.commands import Notify
from services.notification.deps import Deps
from services.notification.handlers.drafts import Draft, Opened, draft_of, intake_key, opened_from
from services.notification.handlers.sms_intake import first_sms, sms_insert
from shared.errors import PermanentFailure
from shared.messaging.uow import UnitOfWork


async def prepare_many(
    cmds: Sequence[Notify], *, uow: UnitOfWork, deps: Deps
) -> list[Opened | None]:
    """Open the intake of several events at once and offer their first SMS to the ledger.

    Only events that share no aggregate and no number with another event of the batch are
    taken (one statement does not see its own writes); the others get None and go through
    `intake.notify` alone after these, as does an event that cannot be drafted.
    """
    drafts = _independent([_draft_or_none(cmd, deps) for cmd in cmds])
    chosen = [i for i, d in enumerate(drafts) if d is not None]
    out: list[Opened | None] = [None] * len(cmds)
    if len(chosen) < 2:
        return out
    keys = [intake_key(d) for d in drafts if d is not None]
    begun = await repository.begin_intake_many(uow.conn, keys)
    for i, (overtaking, stored) in zip(chosen, begun, strict=True):
        draft = drafts[i]
        assert draft is not None
        out[i] = opened_from(draft, overtaking, stored)
    tries = {i: t for i in chosen if (t := first_sms(_opened(out[i]), deps)) is not None}
    if tries:
        recents = await repository.insert_sms_unless_recent_many(
            uow.conn, [sms_insert(_opened(out[i]).draft, t) for i, t in tries.items()],
            window_s=deps.policy.limits.same_content_window_s,
        )
        for (i, tried), recent in zip(tries.items(), recents, strict=True):
            out[i] = dataclasses.replace(
                _opened(out[i]), first_sms=dataclasses.replace(tried, recent=recent)
            )
    return out


def _draft_or_none(cmd: Notify, deps: Deps) -> Draft | None:
    try:
        return draft_of(cmd, deps)
    except PermanentFailure:
        return None  # its handler fails it, alone, as it would outside a batch


def _independent(drafts: list[Draft | None]) -> list[Draft | None]:
    """Keep the drafts whose aggregate (with a seq) and locked number no other draft has."""
    def claims(d: Draft) -> list[str]:
        return [
            *([f"aggregate:{d.aggregate}"] if d.seq is not None else []),
            *([f"number:{d.locked}"] if d.locked is not None else []),
        ]

    counts = Counter(c for d in drafts if d is not None for c in claims(d))
    return [
        d if d is not None and all(counts[c] == 1 for c in claims(d)) else None for d in drafts
    ]


def _opened(opened: Opened | None) -> Opened:
    assert opened is not None
    return opened
