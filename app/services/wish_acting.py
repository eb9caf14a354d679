"""Wishes staff act on for others: confirming for the resident they posted it for (代办, audited as on
behalf; the resident told by SMS if they have never used the app), and telling a team's leader or an asked
member of a wish dispatched to them."""

from typing import cast

from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Forbidden
from app.models.user import User
from app.models.wishes import ConfirmIn, Wish, WishPublic
from app.services import audit, content
from app.services import auth as auth_service
from app.services import push as push_service
from app.services import teams as teams_service
from app.services.wish_machine import MACHINE, tell
from app.services.wish_views import view, visible


async def confirm_on_behalf(
    session: AsyncSession, *, wish_id: int, data: ConfirmIn, actor: User
) -> WishPublic:
    """Staff who posted the wish for a resident confirm it for them: audited as on behalf, and the
    resident is told (by SMS where they have never used the app)."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    if wish.acted_by_id != actor.id or not staff:
        raise Forbidden("只有代居民提交该心愿的工作人员可以代为确认", code="not_acting_staff")
    content.check_text(data.comment)
    note = f"由{actor.name}代为确认（居民口述评价）" + (f"：{data.comment}" if data.comment else "")
    await MACHINE.apply_or_conflict(
        session,
        wish,
        "confirm",
        actor_id=actor.id,
        note=note,
        values={"confirmed_at": clock.now(), "rating": data.rating, "comment": data.comment},
    )
    await audit.record(
        session,
        actor_id=actor.id,
        action="wish.confirm_on_behalf",
        object_type="wish",
        object_id=wish.id,
        org_id=wish.org_id,
        on_behalf_of_id=wish.poster_id,
        detail={"rating": data.rating},
    )
    await tell(
        session,
        wish,
        user_id=cast(int, wish.claimer_id),
        kind="wish_confirmed",
        title="许愿人确认了您的服务",
        body=f"“{wish.title}”获得{data.rating}星评价（由{actor.name}代为确认）",
    )
    await tell_resident(
        session, wish, title="您的心愿已完成", body=f"{actor.name}已为您确认“{wish.title}”已完成"
    )
    await session.commit()
    return await view(session, wish=wish, viewer=actor, staff=staff)


async def tell_resident(session: AsyncSession, wish: Wish, *, title: str, body: str) -> None:
    """Tell a resident staff act for: in the app, and by SMS if they have never signed in to it."""
    await tell(session, wish, user_id=wish.poster_id, kind="wish_for_you", title=title, body=body)
    poster = await session.get(User, wish.poster_id)
    assert poster is not None  # a wish's poster is a stored user
    if not await auth_service.has_signed_in(session, user=poster):
        await push_service.enqueue_sms(
            session,
            user_id=cast(int, poster.id),
            kind="wish_for_you",
            title=title,
            body=body,
            link=f"/wishes/{wish.id}",
        )


async def tell_dispatched(session: AsyncSession, wish: Wish, *, team) -> None:
    """A team's leader hears of a wish dispatched to it first; a member a resident asked for hears it too."""
    if team is None and wish.assigned_team_id is not None:  # asked of a team from a member's card
        team = await teams_service.get_team(session, team_id=wish.assigned_team_id)
    told = set()
    for uid in ([team.leader_id] if team else []) + (
        [wish.assigned_user_id] if wish.assigned_user_id else []
    ):
        if uid in told:
            continue
        told.add(uid)
        await tell(
            session,
            wish,
            user_id=uid,
            kind="wish_dispatched",
            title="有一个心愿派给您" if uid == wish.assigned_user_id else "社区派来一个心愿",
            body=f"“{wish.title}”已派单给{team.name if team and uid != wish.assigned_user_id else '您'}，请安排认领",
        )
