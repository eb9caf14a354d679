"""The wishes' timed jobs, each registered with the scheduler on its own and committing on its own.

Safe under several runners at once: each move is a conditional update, so a wish another runner
already moved is simply skipped. Each job returns how many wishes it moved (or reminders it sent).
"""

from datetime import date, timedelta
from typing import cast

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.models.wishes import (
    Wish,
    WishClaim,
)
from app.services.wish_machine import MACHINE, S, tell

# A done wish the poster never confirms is confirmed by the timer after this grace period.
CONFIRM_GRACE = timedelta(days=7)


async def release_overdue(session: AsyncSession) -> int:
    """Claims past their promised date go back to the wall (the claimer and the poster are told)."""
    now = clock.now()
    today = clock.today()
    moved = 0
    overdue = (
        await session.exec(
            select(Wish)
            .where(col(Wish.status) == S.claimed, col(Wish.promise_date) < today)
            .order_by(col(Wish.id))
        )
    ).all()
    for wish in overdue:
        claimer_id, claim_id = cast(int, wish.claimer_id), wish.claim_id  # a claimed wish has its claimer
        if await MACHINE.apply(
            session,
            wish,
            "release_overdue",
            actor_id=None,
            note=f"承诺日期{cast(date, wish.promise_date).isoformat()}已过，心愿回到心愿墙",
            where=(col(Wish.promise_date) < today,),
            values={"claimer_id": None, "claim_id": None, "claimed_at": None, "promise_date": None},
        ):
            moved += 1
            if claim_id is not None:
                await session.exec(
                    update(WishClaim)
                    .where(col(WishClaim.id) == claim_id, col(WishClaim.outcome).is_(None))
                    .values(outcome="overdue", ended_at=now)
                )
            for uid, title in ((claimer_id, "认领已逾期"), (wish.poster_id, "心愿已重新发布")):
                await tell(
                    session,
                    wish,
                    user_id=uid,
                    kind="claim_overdue",
                    title=title,
                    body=f"“{wish.title}”未在承诺日期前完成，已回到心愿墙",
                )
    await session.commit()
    return moved


async def expire(session: AsyncSession) -> int:
    """Submitted or published wishes past their deadline expire (the poster is told)."""
    now = clock.now()
    moved = 0
    expiring = (
        await session.exec(
            select(Wish)
            .where(
                col(Wish.status).in_((S.submitted, S.published)),
                col(Wish.deadline).is_not(None),
                col(Wish.deadline) < now,
            )
            .order_by(col(Wish.id))
        )
    ).all()
    for wish in expiring:
        if await MACHINE.apply(
            session,
            wish,
            "expire",
            actor_id=None,
            note="超过截止时间无人认领",
            where=(col(Wish.deadline) < now,),
            values={"closed_at": now},
        ):
            moved += 1
            await tell(
                session,
                wish,
                user_id=wish.poster_id,
                kind="wish_expired",
                title="心愿已过期",
                body=f"“{wish.title}”已超过截止时间",
            )
    await session.commit()
    return moved


async def auto_confirm(session: AsyncSession) -> int:
    """Done wishes the poster has not confirmed within CONFIRM_GRACE are confirmed by the system."""
    now = clock.now()
    moved = 0
    cutoff = now - CONFIRM_GRACE
    unconfirmed = (
        await session.exec(
            select(Wish).where(col(Wish.status) == S.done, col(Wish.done_at) < cutoff).order_by(col(Wish.id))
        )
    ).all()
    for wish in unconfirmed:
        if await MACHINE.apply(
            session,
            wish,
            "auto_confirm",
            actor_id=None,
            note=f"许愿人{CONFIRM_GRACE.days}天内未确认，系统自动确认",
            where=(col(Wish.done_at) < cutoff,),
            values={"confirmed_at": now},
        ):
            moved += 1
    await session.commit()
    return moved


async def remind_due(session: AsyncSession) -> int:
    """Claimers whose promised date is tomorrow get one reminder."""
    now = clock.now()
    today = clock.today()
    moved = 0
    due = (
        await session.exec(
            select(WishClaim, Wish)
            .join(Wish, col(Wish.claim_id) == col(WishClaim.id))
            .where(
                Wish.status == S.claimed,
                WishClaim.promise_date == today + timedelta(days=1),
                col(WishClaim.reminded_at).is_(None),
            )
            .order_by(col(WishClaim.id))
        )
    ).all()
    for row, wish in due:
        result = await session.exec(
            update(WishClaim)
            .where(col(WishClaim.id) == row.id, col(WishClaim.reminded_at).is_(None))
            .values(reminded_at=now)
        )
        if result.rowcount == 1:
            moved += 1
            await tell(
                session,
                wish,
                user_id=row.user_id,
                kind="claim_due",
                title="认领的心愿明天到期",
                body=f"“{wish.title}”承诺明天完成，完成后请点“服务完成”",
            )
    await session.commit()
    return moved


# Each job by name, in the order they run; the scheduler registers each on its own.
JOBS = {
    "wishes.release_overdue": release_overdue,
    "wishes.expire": expire,
    "wishes.auto_confirm": auto_confirm,
    "wishes.remind_due": remind_due,
}


async def run_timers(session: AsyncSession) -> int:
    """Every wish job once, one after the other (each commits its own work): how many moved in all."""
    return sum([await job(session) for job in JOBS.values()])
