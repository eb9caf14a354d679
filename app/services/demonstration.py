"""Party-member demonstration posts (党员示范岗): staff give a member or a station a title and a duty for
a period; the public list (公示) names who holds them, never their phone numbers."""

from datetime import date
from typing import cast

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import InvalidState, NotFound, ValidationFailed
from app.models.demonstration import (
    DemonstrationPost,
    DemonstrationPostCreate,
    DemonstrationPostPublic,
    Holder,
)
from app.models.org import Org
from app.models.stations import Station
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import alliance_path_of, ancestor_path, in_subtree, published_to, require_role_over
from app.services import audit, content, lookups
from app.services import orgs as orgs_service


def current_on(day: date):
    """SQL: the post is held on `day`."""
    return (col(DemonstrationPost.starts_on) <= day) & (
        col(DemonstrationPost.ends_on).is_(None) | (col(DemonstrationPost.ends_on) >= day)
    )


def overlapping(first: date, last: date):
    """SQL: the post is held on some day of [first, last]."""
    return (col(DemonstrationPost.starts_on) <= last) & (
        col(DemonstrationPost.ends_on).is_(None) | (col(DemonstrationPost.ends_on) >= first)
    )


async def to_public(session: AsyncSession, posts: list[DemonstrationPost]) -> list[DemonstrationPostPublic]:
    """Posts as anyone may see them: the holder's name, never a phone."""
    people = await lookups.users_by_id(session, [p.user_id for p in posts])
    station_ids = {p.station_id for p in posts if p.station_id}
    stations = {}
    if station_ids:
        rows = (
            await session.exec(
                select(col(Station.id), col(Station.name)).where(col(Station.id).in_(station_ids))
            )
        ).all()
        stations = dict(rows)
    names = await lookups.org_names(session, [p.org_id for p in posts])
    today = clock.today()
    return [
        DemonstrationPostPublic(
            id=cast(int, p.id),
            org_id=p.org_id,
            org_name=names.get(p.org_id),
            user=Holder(id=p.user_id, name=people[p.user_id].name) if p.user_id in people else None,
            station=Holder(id=cast(int, p.station_id), name=stations[p.station_id])
            if p.station_id in stations
            else None,
            title=p.title,
            duty=p.duty,
            starts_on=p.starts_on,
            ends_on=p.ends_on,
            current=p.starts_on <= today and (p.ends_on is None or p.ends_on >= today),
            created_at=p.created_at,
        )
        for p in posts
    ]


async def create_post(
    session: AsyncSession, *, data: DemonstrationPostCreate, actor: User
) -> DemonstrationPostPublic:
    """Give a party member (by their home) or a station a demonstration post (staff over it)."""
    if data.user_id is None and data.user_phone:
        found = await session.exec(select(User.id).where(User.phone == data.user_phone))
        data = data.model_copy(update={"user_id": found.first() or 0})
    if data.user_id is None and data.station_id is None:
        raise ValidationFailed("请指定示范岗的党员或驿站", code="holder_required")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise ValidationFailed("结束日期不能早于开始日期", code="invalid_period")
    content.check_text(data.title, data.duty)
    org_id = None
    if data.user_id is not None:
        member = await session.get(User, data.user_id) if data.user_id else None
        if member is None:
            raise ValidationFailed("找不到该党员", code="member_not_found")
        if not member.is_party_member:
            raise ValidationFailed("示范岗只能授予党员", code="not_party_member")
        if member.home_org_id is None:
            raise ValidationFailed("该党员尚未登记所在小区，无法设岗", code="member_has_no_home")
        await require_role_over(session, user_id=cast(int, actor.id), org_id=member.home_org_id)
        org_id = member.home_org_id
    if data.station_id is not None:
        station = await session.get(Station, data.station_id)
        if station is None:
            raise ValidationFailed("找不到该驿站", code="station_not_found")
        await require_role_over(session, user_id=cast(int, actor.id), org_id=station.org_id)
        org_id = station.org_id
    post = DemonstrationPost(
        org_id=cast(int, org_id),  # the input names a member or a station
        user_id=data.user_id,
        station_id=data.station_id,
        title=data.title,
        duty=data.duty,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        created_by_id=actor.id,
    )
    session.add(post)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="demonstration_post.create",
        object_type="demonstration_post",
        object_id=post.id,
        org_id=org_id,
        detail={"user_id": data.user_id, "station_id": data.station_id, "title": data.title},
    )
    await session.commit()
    return (await to_public(session, [post]))[0]


async def list_posts(
    session: AsyncSession,
    *,
    actor: User,
    params: PageParams,
    org_id: int | None = None,
    current: bool = True,
) -> tuple[list[DemonstrationPostPublic], str | None]:
    """Demonstration posts on a node and below (default: the person's alliance), those held today unless
    `current=false`; another alliance's are not listed."""
    stmt = select(DemonstrationPost)
    if org_id is not None:
        org = await orgs_service.get_org(session, org_id=org_id)
        stmt = stmt.where(in_subtree(DemonstrationPost.org_id, org.path))
    elif actor.home_org_id:
        home = await session.get(Org, actor.home_org_id)
        if home is not None:
            stmt = stmt.where(in_subtree(DemonstrationPost.org_id, ancestor_path(home, 1)))
    seen = published_to(actor, await alliance_path_of(session, actor), DemonstrationPost.org_id)
    if seen is not None:  # 公示 to their alliance only (`may_see_published`)
        stmt = stmt.where(seen)
    if current:
        stmt = stmt.where(current_on(clock.today()))
    rows, cursor = await paginate(session, stmt, DemonstrationPost.id, params, newest_first=False)
    return await to_public(session, list(rows)), cursor


async def held_by(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    station_id: int | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[DemonstrationPostPublic]:
    """The posts a person or a station holds today (or in [first, last]), for their card and page."""
    conds = []
    if user_id is not None:
        conds.append(col(DemonstrationPost.user_id) == user_id)
    if station_id is not None:
        conds.append(col(DemonstrationPost.station_id) == station_id)
    when = overlapping(first, last) if first and last else current_on(clock.today())
    stmt = select(DemonstrationPost).where(or_(*conds), when).order_by(col(DemonstrationPost.id))
    return await to_public(session, list((await session.exec(stmt)).all()))


def held_in(*, org_path: str, first: date, last: date):
    """SQL: demonstration posts of a subtree held on some day of [first, last] (for the figures)."""
    return select(func.count()).where(
        in_subtree(DemonstrationPost.org_id, org_path), overlapping(first, last)
    )


async def end_post(session: AsyncSession, *, post_id: int, actor: User) -> DemonstrationPostPublic:
    """End a demonstration post today (staff over where it belongs)."""
    post = await session.get(DemonstrationPost, post_id)
    if post is None:
        raise NotFound("示范岗不存在", code="demonstration_post_not_found")
    await require_role_over(session, user_id=cast(int, actor.id), org_id=post.org_id)
    today = clock.today()
    if post.ends_on is not None and post.ends_on < today:
        raise InvalidState("该示范岗已结束")
    post.ends_on = max(today, post.starts_on)
    session.add(post)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="demonstration_post.end",
        object_type="demonstration_post",
        object_id=post.id,
        org_id=post.org_id,
    )
    await session.commit()
    return (await to_public(session, [post]))[0]
