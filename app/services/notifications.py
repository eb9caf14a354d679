"""The in-app inbox, behind a `Notifier` interface a WeChat template-message sender can implement."""

from typing import Protocol

from sqlmodel import func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import NotFound
from app.models.notifications import Notification
from app.models.user import User
from app.pagination import PageParams, paginate


class Notifier(Protocol):
    async def send(
        self,
        session: AsyncSession,
        *,
        user_id: int,
        kind: str,
        title: str,
        body: str,
        link: str | None,
        ref_type: str | None,
        ref_id: int | None,
    ) -> None:
        """Deliver one message to one person (within the caller's transaction; never commits)."""


class InboxNotifier:
    """Keeps the message in the person's in-app inbox."""

    async def send(self, session, *, user_id, kind, title, body, link, ref_type, ref_id) -> None:
        session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                title=title[:60],
                body=body[:300],
                link=link,
                ref_type=ref_type,
                ref_id=ref_id,
            )
        )
        await session.flush()


# A WeChat template-message sender joins this list once the account is configured.
NOTIFIERS: list[Notifier] = [InboxNotifier()]


async def notify(
    session: AsyncSession,
    *,
    user_id: int | None,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    ref_type: str | None = None,
    ref_id: int | None = None,
) -> None:
    """Tell one person about something that concerns them, through every notifier (flushes)."""
    if user_id is None:
        return
    for notifier in NOTIFIERS:
        await notifier.send(
            session,
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            ref_type=ref_type,
            ref_id=ref_id,
        )


async def list_mine(session: AsyncSession, *, user: User, unread: bool, params: PageParams):
    """The person's inbox, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await paginate(session, stmt, Notification.id, params)


async def unread_count(session: AsyncSession, *, user: User) -> int:
    """How many unread messages the person has."""
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return (await session.exec(stmt)).one()


async def mark_read(session: AsyncSession, *, notification_id: int, user: User) -> Notification:
    """Mark one of the person's own messages read (someone else's → 404)."""
    row = await session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("消息不存在", code="notification_not_found")
    if row.read_at is None:
        row.read_at = clock.now()
        session.add(row)
    await session.commit()
    return row


async def mark_all_read(session: AsyncSession, *, user: User) -> int:
    """Mark every unread message of the person read; returns how many."""
    result = await session.exec(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    await session.commit()
    return result.rowcount
