"""Activity sign-ups within capacity, with a waiting list, and the person's ticket.

Waiting list: `POST /activities/{id}/signup?wait=true` on a full activity joins the waiting list
(status `waiting`) instead of answering 409 `activity_full`; when someone cancels, the first
waiter takes the place in the same transaction.
"""

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.db import advisory_lock
from app.errors import Conflict, InvalidState, NotFound
from app.models.activities import (
    Activity,
    ActivitySignup,
    SignupPublic,
    SignupStatus,
    TicketPublic,
)
from app.models.user import User
from app.services import qr
from app.services.activities import get_activity


async def lock_places(session: AsyncSession, activity_id: int) -> None:
    """Hold the activity's places until the transaction ends: the one lock order for places.

    Every writer of `signed_up` takes this advisory lock before the activity row. Taking the row
    first deadlocks on PostgreSQL: an UPDATE that waited for a cancellation keeps the row locked
    even when its re-check finds no place, and would then wait here for the canceller.
    """
    await advisory_lock(session, f"activity:{activity_id}")


async def take_place(session: AsyncSession, activity_id: int) -> bool:
    """Take one place if any is left (under `lock_places`, so a waiter never jumps a freed place)."""
    await lock_places(session, activity_id)
    result = await session.exec(
        update(Activity)
        .where(Activity.id == activity_id, Activity.signed_up < Activity.capacity)
        .values(signed_up=Activity.signed_up + 1)
    )
    return result.rowcount == 1


async def _position(session: AsyncSession, row: ActivitySignup) -> int | None:
    if row.status != SignupStatus.waiting:
        return None
    ahead = (
        await session.exec(
            select(func.count())
            .select_from(ActivitySignup)
            .where(
                ActivitySignup.activity_id == row.activity_id,
                ActivitySignup.status == SignupStatus.waiting,
                ActivitySignup.updated_at <= row.updated_at,
                ActivitySignup.id != row.id,
            )
        )
    ).one()
    return ahead + 1


async def signup(session: AsyncSession, *, activity_id: int, actor: User, wait: bool = False) -> SignupPublic:
    """Sign up; full → 409 activity_full, or with `wait` join the waiting list. Never over capacity."""
    activity = await get_activity(session, activity_id=activity_id, viewer=actor)
    if activity.closed_at is not None or activity.ends_at <= clock.now():
        raise InvalidState("活动已结束", code="activity_closed")
    row = (
        await session.exec(
            select(ActivitySignup).where(
                ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == actor.id
            )
        )
    ).first()
    if row is not None and row.status != SignupStatus.cancelled:
        return SignupPublic(
            activity_id=activity.id,
            user_id=actor.id,
            status=row.status,
            position=await _position(session, row),
        )
    status = SignupStatus.signed_up
    if not await take_place(session, activity.id):
        if not wait:
            raise Conflict("活动名额已满，可选择候补", code="activity_full")
        status = SignupStatus.waiting
    now = clock.now()
    try:
        async with session.begin_nested():
            if row is None:
                row = ActivitySignup(activity_id=activity.id, user_id=actor.id, status=status, updated_at=now)
            else:
                row.status, row.updated_at = status, now
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same person's double tap: give the place back, keep the first sign-up
        if status == SignupStatus.signed_up:
            await session.exec(
                update(Activity)
                .where(Activity.id == activity.id, Activity.signed_up > 0)
                .values(signed_up=Activity.signed_up - 1)
            )
        row = (
            await session.exec(
                select(ActivitySignup).where(
                    ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == actor.id
                )
            )
        ).one()
    await session.commit()
    return SignupPublic(
        activity_id=activity.id, user_id=actor.id, status=row.status, position=await _position(session, row)
    )


async def cancel_signup(session: AsyncSession, *, activity_id: int, actor: User) -> SignupPublic:
    """Cancel a sign-up (or leave the waiting list); a freed place goes to the first waiter."""
    activity = await get_activity(session, activity_id=activity_id, viewer=actor)
    await lock_places(session, activity.id)
    row = (
        await session.exec(
            select(ActivitySignup).where(
                ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == actor.id
            )
        )
    ).first()
    if row is None or row.status == SignupStatus.cancelled:
        raise NotFound("您没有报名该活动", code="signup_not_found")
    now = clock.now()
    was = row.status
    moved = await session.exec(
        update(ActivitySignup)
        .where(ActivitySignup.id == row.id, ActivitySignup.status == was)
        .values(status=SignupStatus.cancelled, updated_at=now)
    )
    if moved.rowcount == 1 and was == SignupStatus.signed_up:
        waiter = (
            await session.exec(
                select(ActivitySignup)
                .where(
                    ActivitySignup.activity_id == activity.id, ActivitySignup.status == SignupStatus.waiting
                )
                .order_by(ActivitySignup.updated_at, ActivitySignup.id)
                .limit(1)
            )
        ).first()
        if waiter is not None:
            await session.exec(
                update(ActivitySignup)
                .where(ActivitySignup.id == waiter.id)
                .values(status=SignupStatus.signed_up, updated_at=now)
            )
        else:
            await session.exec(
                update(Activity)
                .where(Activity.id == activity.id, Activity.signed_up > 0)
                .values(signed_up=Activity.signed_up - 1)
            )
    await session.commit()
    return SignupPublic(activity_id=activity.id, user_id=actor.id, status=SignupStatus.cancelled)


async def my_ticket(session: AsyncSession, *, activity_id: int, actor: User) -> TicketPublic:
    """The person's own ticket code, for the organiser to scan (for those who cannot scan)."""
    activity = await get_activity(session, activity_id=activity_id, viewer=actor)
    if activity.signup_required:
        status = (
            await session.exec(
                select(ActivitySignup.status).where(
                    ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == actor.id
                )
            )
        ).first()
        if status != SignupStatus.signed_up:
            raise NotFound("请先报名该活动", code="signup_not_found")
    return TicketPublic(token=qr.ticket_token(activity.id, actor.id), activity_id=activity.id)


async def ticket_svg(session: AsyncSession, *, activity_id: int, actor: User) -> str | None:
    """The person's ticket as SVG for the detail page, or None if they hold no place."""
    try:
        ticket = await my_ticket(session, activity_id=activity_id, actor=actor)
    except NotFound:
        return None
    return await qr.svg(ticket.token)
