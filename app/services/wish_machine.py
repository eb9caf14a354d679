"""The wish state machine: which state may follow which, and the states the wall and claims are made of."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.wishes import (
    STATUS_LABELS,
    Wish,
    WishEvent,
    WishStatus,
)
from app.services import notifications as notify_service
from app.statemachine import Machine, move

S = WishStatus

# Once published, a wish is on the wall for every signed-in person; before (and when withdrawn,
# rejected or expired) only its poster, its claimer and staff over it see it.
PUBLIC_STATES = frozenset({S.published, S.claimed, S.done, S.confirmed, S.verified})
CLAIMED_STATES = frozenset({S.claimed, S.done, S.confirmed, S.verified})


# The only place that says which state may follow which. Every change of `wishes.status` goes
# through MACHINE, which reads this table, updates conditionally and writes an event.
MACHINE = Machine(
    model=Wish,
    transitions={
        "publish": move({S.submitted}, S.published),
        "reject": move({S.submitted}, S.rejected),
        "claim": move({S.published}, S.claimed),
        "release": move({S.claimed}, S.published),
        "release_overdue": move({S.claimed}, S.published),
        "done": move({S.claimed}, S.done),
        "confirm": move({S.done}, S.confirmed),
        "auto_confirm": move({S.done}, S.confirmed),
        "verify": move({S.confirmed}, S.verified),
        "cancel": move({S.submitted, S.published}, S.cancelled),
        "expire": move({S.submitted, S.published}, S.expired),
    },
    history=lambda wish, at, actor_id, action, src, dst, note: WishEvent(
        wish_id=wish.id, at=at, actor_id=actor_id, action=action, from_status=src, to_status=dst, note=note
    ),
    noun="心愿",
    labels=STATUS_LABELS,
    firsts={"publish": "first_published_at", "claim": "first_claimed_at"},  # the funnel's milestones
)


async def transition(
    session: AsyncSession,
    wish: Wish,
    action: str,
    *,
    actor_id: int | None,
    note: str | None = None,
    values: dict | None = None,
) -> bool:
    """Move a wish through the transition table without committing (for the demo and other services)."""
    return await MACHINE.apply(session, wish, action, actor_id=actor_id, note=note, values=values)


async def tell(session: AsyncSession, wish: Wish, *, user_id: int, kind: str, title: str, body: str) -> None:
    """Put a message about the wish in a person's inbox, linking to the wish (flushes)."""
    await notify_service.notify(
        session,
        user_id=user_id,
        kind=kind,
        title=title,
        body=body,
        link=f"/wishes/{wish.id}",
        ref_type="wish",
        ref_id=wish.id,
    )
