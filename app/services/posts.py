"""Posts (设岗定责): branches set up posts with slots; approved members claim, leave and log their work.

Slots are settled by the database: a claim is one conditional `UPDATE ... SET claimed = claimed + 1
WHERE claimed < slots`, so concurrent claims never exceed the slots on either database.
"""

from datetime import date, datetime, time, timedelta
from typing import cast

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.clock import CHINA
from app.errors import Conflict, Forbidden, InvalidState, NotFound
from app.models.posts import (
    Post,
    PostClaim,
    PostClaimPublic,
    PostCreate,
    PostLog,
    PostLogCreate,
    PostLogPublic,
    PostPublic,
)
from app.models.user import User
from app.pagination import PageParams, paginate
from app.permissions import (
    alliance_path_of,
    ancestor_ids,
    has_role_over,
    in_subtree,
    may_see_published,
    published_to,
    require_role_over,
)
from app.services import audit, lookups
from app.services import member_reports as reports_service
from app.services import orgs as orgs_service


async def _get(session: AsyncSession, post_id: int) -> Post:
    post = await session.get(Post, post_id)
    if post is None:
        raise NotFound("岗位不存在", code="post_not_found")
    return post


async def _to_public(session: AsyncSession, posts: list[Post], *, viewer: User) -> list[PostPublic]:
    names = await lookups.org_names(session, [p.org_id for p in posts])
    mine: set[int] = set()
    if posts:
        mine = set(
            (
                await session.exec(
                    select(PostClaim.post_id).where(
                        PostClaim.user_id == viewer.id,
                        PostClaim.active == 1,
                        col(PostClaim.post_id).in_([p.id for p in posts]),
                    )
                )
            ).all()
        )
    return [
        PostPublic(
            id=cast(int, p.id),
            org_id=p.org_id,
            org_name=names.get(p.org_id),
            title=p.title,
            duty=p.duty,
            slots=p.slots,
            claimed=p.claimed,
            active=p.active,
            mine=p.id in mine,
            created_at=p.created_at,
        )
        for p in posts
    ]


async def create_post(session: AsyncSession, *, org_id: int, data: PostCreate, actor: User) -> PostPublic:
    """Set up a post on a branch (staff or admin over it)."""
    org = await orgs_service.get_org(session, org_id=org_id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, org.id))
    post = Post(
        org_id=cast(int, org.id), title=data.title, duty=data.duty, slots=data.slots, created_by_id=actor.id
    )
    session.add(post)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="post.create",
        object_type="post",
        object_id=post.id,
        org_id=org.id,
        detail={"title": post.title, "slots": post.slots},
    )
    await session.commit()
    return (await _to_public(session, [post], viewer=actor))[0]


async def get_post(session: AsyncSession, *, post_id: int, actor: User) -> PostPublic:
    """One post (404 unless it is the actor's to see: `may_see_published`)."""
    post = await _get(session, post_id)
    if not await may_see_published(session, person=actor, org_id=post.org_id):
        raise NotFound("岗位不存在", code="post_not_found")
    return (await _to_public(session, [post], viewer=actor))[0]


async def list_posts(
    session: AsyncSession, *, org_id: int, actor: User, params: PageParams
) -> tuple[list[PostPublic], str | None]:
    """The posts set up on this node and the nodes under it."""
    org = await orgs_service.get_org(session, org_id=org_id)
    stmt = select(Post).where(in_subtree(col(Post.org_id), org.path), col(Post.active).is_(True))
    seen = published_to(actor, await alliance_path_of(session, actor), Post.org_id)
    if seen is not None:
        stmt = stmt.where(seen)
    rows, cursor = await paginate(session, stmt, Post.id, params, newest_first=False)
    return await _to_public(session, rows, viewer=actor), cursor


async def posts_open_to(session: AsyncSession, *, actor: User) -> list[PostPublic]:
    """Posts the member may claim: those on their approved branch and the levels above it."""
    reports = [
        r
        for r in await reports_service.reports_of(session, user_id=cast(int, actor.id))
        if r.status == "approved" and r.active == 1
    ]
    if not reports:
        return []
    branch = await orgs_service.get_org(session, org_id=reports[0].org_id)
    ancestors = ancestor_ids(branch)
    rows = (
        await session.exec(
            select(Post)
            .where(col(Post.org_id).in_(ancestors), col(Post.active).is_(True))
            .order_by(col(Post.id))
        )
    ).all()
    return await _to_public(session, list(rows), viewer=actor)


async def claim_post(session: AsyncSession, *, post_id: int, actor: User) -> PostClaimPublic:
    """Take one slot of a post; only approved members of that branch, never more than the slots."""
    post = await _get(session, post_id)
    if not post.active:
        raise InvalidState("该岗位已停用")
    org = await orgs_service.get_org(session, org_id=post.org_id)
    report = await reports_service.approved_report_under(session, user_id=cast(int, actor.id), org=org)
    if report is None:
        raise Forbidden("只有已在本社区报到并通过审核的党员可以认领岗位", code="not_an_approved_member")
    held = (
        await session.exec(
            select(PostClaim.id).where(
                PostClaim.post_id == post.id, PostClaim.user_id == actor.id, PostClaim.active == 1
            )
        )
    ).first()
    if held is not None:
        raise Conflict("您已认领了这个岗位", code="post_already_claimed")
    try:
        async with session.begin_nested():
            taken = await session.exec(
                update(Post)
                .where(
                    col(Post.id) == post.id, col(Post.claimed) < col(Post.slots), col(Post.active).is_(True)
                )
                .values(claimed=Post.claimed + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise Conflict("该岗位名额已满", code="post_full")
            claim = PostClaim(
                post_id=cast(int, post.id),
                user_id=cast(int, actor.id),
                report_id=report.id,
                claimed_at=clock.now(),
            )
            session.add(claim)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("您已认领了这个岗位", code="post_already_claimed") from exc
    await session.commit()
    return PostClaimPublic(
        id=cast(int, claim.id),
        post_id=claim.post_id,
        user_id=claim.user_id,
        claimed_at=claim.claimed_at,
        left_at=None,
    )


async def _active_claim(session: AsyncSession, *, post_id: int, user_id: int) -> PostClaim:
    claim = (
        await session.exec(
            select(PostClaim).where(
                PostClaim.post_id == post_id, PostClaim.user_id == user_id, PostClaim.active == 1
            )
        )
    ).first()
    if claim is None:
        raise Conflict("您没有认领这个岗位", code="post_not_claimed")
    return claim


async def leave_post(session: AsyncSession, *, post_id: int, actor: User) -> PostClaimPublic:
    """Give up your post; the slot opens again."""
    post = await _get(session, post_id)
    claim = await _active_claim(session, post_id=cast(int, post.id), user_id=cast(int, actor.id))
    now = clock.now()
    left = await session.exec(
        update(PostClaim)
        .where(col(PostClaim.id) == claim.id, col(PostClaim.active) == 1)
        .values(active=None, left_at=now)
        .execution_options(synchronize_session=False)
    )
    if left.rowcount != 1:
        raise Conflict("您没有认领这个岗位", code="post_not_claimed")
    await session.exec(
        update(Post)
        .where(col(Post.id) == post.id, col(Post.claimed) > 0)
        .values(claimed=Post.claimed - 1)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return PostClaimPublic(
        id=cast(int, claim.id),
        post_id=cast(int, post.id),
        user_id=cast(int, actor.id),
        claimed_at=claim.claimed_at,
        left_at=now,
    )


async def log_work(session: AsyncSession, *, post_id: int, data: PostLogCreate, actor: User) -> PostLogPublic:
    """Record what you did on your post and how many minutes it took."""
    post = await _get(session, post_id)
    claim = await _active_claim(session, post_id=cast(int, post.id), user_id=cast(int, actor.id))
    today = clock.today()
    done_on = data.done_on or today
    if done_on > today:
        raise InvalidState("不能记录未来的工作", code="future_log")
    log = PostLog(
        post_id=cast(int, post.id),
        claim_id=cast(int, claim.id),
        user_id=cast(int, actor.id),
        done_on=done_on,
        minutes=data.minutes,
        note=data.note,
    )
    session.add(log)
    await session.flush()
    await session.commit()
    return PostLogPublic.model_validate(log, from_attributes=True)


async def list_logs(session: AsyncSession, *, post_id: int, actor: User) -> list[PostLogPublic]:
    """Your logs on a post; staff over the post see everyone's."""
    post = await _get(session, post_id)
    stmt = select(PostLog).where(PostLog.post_id == post.id)
    if not await has_role_over(session, user_id=cast(int, actor.id), org_id=post.org_id):
        stmt = stmt.where(PostLog.user_id == actor.id)
    rows = (
        await session.exec(stmt.order_by(col(PostLog.done_on).desc(), col(PostLog.id).desc()).limit(200))
    ).all()
    return [PostLogPublic.model_validate(r, from_attributes=True) for r in rows]


async def claims_of(
    session: AsyncSession, *, user_id: int, start: date, end: date
) -> list[tuple[PostClaim, Post]]:
    """The member's post holdings that overlap the dates [start, end]."""
    lo = datetime.combine(start, time.min, tzinfo=CHINA)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=CHINA)
    stmt = (
        select(PostClaim, Post)
        .join(Post, col(Post.id) == col(PostClaim.post_id))
        .where(PostClaim.user_id == user_id, PostClaim.claimed_at < hi)
        .where((col(PostClaim.left_at).is_(None)) | (col(PostClaim.left_at) >= lo))
        .order_by(col(PostClaim.id))
    )
    return list((await session.exec(stmt)).all())
