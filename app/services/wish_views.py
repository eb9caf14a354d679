"""Micro-wishes as a viewer may see them: visibility, the actions open to them, lists, the wall, queues, pages."""

import functools
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, String, and_, bindparam, case, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from app import clock
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.member_reports import MemberReport
from app.models.org import Org
from app.models.user import User
from app.models.wishes import (
    Wish,
    WishEvent,
    WishEventPublic,
    WishPublic,
    WishStatus,
)
from app.pagination import PageParams, cut, decode_cursor
from app.permissions import (
    alliance_path_sql,
    belonging_org_id,
    covered_by_role,
    has_role_over,
    holds_role_on,
    in_subtree,
    may_see_published,
    path_of,
)
from app.services import crypto, lookups
from app.services import notifications as notify_service
from app.services import orgs as orgs_service
from app.services import resources as resources_service
from app.services import teams as teams_service
from app.services.wish_machine import CLAIMED_STATES, MACHINE, PUBLIC_STATES, S

# ---- reading ----


async def _get(session: AsyncSession, wish_id: int) -> Wish:
    wish = await session.get(Wish, wish_id)
    if wish is None:
        raise NotFound("心愿不存在", code="wish_not_found")
    return wish


async def _is_staff(session: AsyncSession, *, user: User, wish: Wish) -> bool:
    return await has_role_over(session, user_id=cast(int, user.id), org_id=wish.org_id)


def _can_see(wish: Wish, *, user: User, staff: bool) -> bool:
    return wish.status in PUBLIC_STATES or user.id in (wish.poster_id, wish.claimer_id) or staff


async def visible(session: AsyncSession, *, wish_id: int, user: User) -> tuple[Wish, bool]:
    """The wish and whether the user is staff over it; someone else's private wish is 404.

    Published wishes are for the people of the alliance they were posted in (`alliance_path_of`: staff
    and people registered at the door belong to an alliance too; only someone who belongs nowhere yet
    sees every alliance's wall).
    """
    wish = await _get(session, wish_id)
    staff = await _is_staff(session, user=user, wish=wish)
    if not _can_see(wish, user=user, staff=staff):
        raise NotFound("心愿不存在", code="wish_not_found")
    others = not staff and user.id not in (wish.poster_id, wish.claimer_id)
    if others and not await may_see_published(session, person=user, org_id=wish.org_id):
        raise NotFound("心愿不存在", code="wish_not_found")
    return wish, staff


async def may_claim_dispatched(session: AsyncSession, *, user: User, wish: Wish) -> bool:
    """A wish dispatched to a member unit may be claimed only by that unit's people."""
    return await dispatch_refusal(session, user=user, wish=wish) is None


async def dispatch_refusal(session: AsyncSession, *, user: User, wish: Wish) -> Forbidden | None:
    """Why the person may not claim a dispatched wish, or None: a team's wish is for its active
    members, a wish asked of one member (扫码为你服务) for that member, a unit's for its people."""
    if wish.assigned_team_id is not None:
        if not await teams_service.is_active_member(
            session, team_id=wish.assigned_team_id, user_id=cast(int, user.id)
        ):
            return Forbidden("该心愿已派单给志愿服务队，仅该队队员可以认领", code="wish_dispatched_to_team")
    elif wish.assigned_user_id is not None and wish.assigned_user_id != user.id:
        return Forbidden("该心愿是居民点名请某位党员帮忙的，仅该党员可以认领", code="wish_asked_of_member")
    if wish.assigned_org_id is None or await _unit_may_claim(session, user=user, wish=wish):
        return None
    return Forbidden("该心愿已派单给共建单位，仅该单位人员可以认领", code="wish_dispatched_to_unit")


async def _unit_may_claim(session: AsyncSession, *, user: User, wish: Wish) -> bool:
    if await holds_role_on(session, user_id=cast(int, user.id), org_id=cast(int, wish.assigned_org_id)):
        return True
    return await _employed_by(session, user_id=cast(int, user.id), unit_id=cast(int, wish.assigned_org_id))


async def _employed_by(session: AsyncSession, *, user_id: int, unit_id: int) -> bool:
    """A party member whose approved report to their branch names the unit as their employer."""
    stmt = (
        select(MemberReport.id)
        .where(
            MemberReport.user_id == user_id,
            MemberReport.employer_unit_id == unit_id,
            MemberReport.status == "approved",
        )
        .limit(1)
    )
    return (await session.exec(stmt)).first() is not None


def actions_for(wish: Wish, *, user: User, staff: bool, may_claim: bool = True) -> list[str]:
    """Exactly the actions this viewer may take on the wish now."""
    me = user.id
    acts = []
    if staff and MACHINE.allowed("publish", wish.status):
        acts.append("review")
    if me != wish.poster_id and MACHINE.allowed("claim", wish.status) and may_claim:
        acts.append("claim")
    if me == wish.claimer_id and MACHINE.allowed("release", wish.status):
        acts += ["release", "done"]
    if me == wish.poster_id and MACHINE.allowed("confirm", wish.status):
        acts.append("confirm")
    if me == wish.acted_by_id and me != wish.poster_id and MACHINE.allowed("confirm", wish.status):
        acts.append("confirm_on_behalf")
    if staff and MACHINE.allowed("verify", wish.status):
        acts.append("verify")
    if me == wish.poster_id and MACHINE.allowed("cancel", wish.status):
        acts.append("cancel")
    return acts


def _public(
    wish: Any,
    *,
    viewer: User,
    staff: bool,
    poster: tuple[str, str | None],
    claimer: tuple[str, str | None] | None,
    org_name: str | None,
    events: list[WishEvent] | None = None,
    actions: list[str] | None = None,
) -> WishPublic:
    """The wish as the viewer may see it. `wish` is a Wish or a list row with the same names (`_LISTING`);
    `poster` and `claimer` are (name, phone), masked here by `lookups.brief`."""
    me = viewer.id
    is_claimer = wish.claimer_id is not None and me == wish.claimer_id and wish.status in CLAIMED_STATES
    # The poster's phone goes to the claimer once claimed (and to staff over it); masked for the rest.
    poster_full = me == wish.poster_id or staff or is_claimer
    claimer_full = me == wish.claimer_id or staff or me == wish.poster_id
    # A child's name and school: the poster and the claimer only, masked for everyone else.
    child_full = me == wish.poster_id or is_claimer
    child_name = crypto.decrypt(wish.child_name_enc)
    child_school = crypto.decrypt(wish.child_school_enc)
    if not child_full:
        child_name, child_school = crypto.mask_name(child_name), crypto.mask_text(child_school)
    return WishPublic(
        id=wish.id,
        org_id=wish.org_id,
        org_name=org_name,
        title=wish.title,
        description=wish.description,
        category=wish.category,
        status=WishStatus(wish.status),
        deadline=wish.deadline,
        poster=lookups.brief(wish.poster_id, *poster, show_phone=poster_full),
        claimer=lookups.brief(wish.claimer_id, *claimer, show_phone=claimer_full)
        if wish.claimer_id and claimer
        else None,
        assigned_org_id=wish.assigned_org_id,
        assigned_team_id=wish.assigned_team_id,
        assigned_user_id=wish.assigned_user_id,
        reject_reason=wish.reject_reason if (staff or me == wish.poster_id) else None,
        promise_date=wish.promise_date,
        claimed_at=wish.claimed_at,
        done_note=wish.done_note,
        minutes_spent=wish.minutes_spent,
        rating=wish.rating,
        comment=wish.comment,
        credit_minutes=wish.credit_minutes,
        verify_note=wish.verify_note,
        published_at=wish.published_at,
        verified_at=wish.verified_at,
        created_at=wish.created_at,
        child_name=child_name,
        child_school=child_school,
        photos=[f"/api/v1/wishes/{wish.id}/photos/{i}" for i in range(len(wish.photos))],
        actions=actions or [],
        events=[
            WishEventPublic(at=e.at, actor_id=e.actor_id, action=e.action, note=e.note) for e in events or []
        ],
    )


async def view(session: AsyncSession, *, wish: Wish, viewer: User, staff: bool | None = None) -> WishPublic:
    """One wish as this viewer may see it, with its history and the actions open to them."""
    if staff is None:
        staff = await _is_staff(session, user=viewer, wish=wish)
    people = await lookups.users_by_id(session, {wish.poster_id, wish.claimer_id})
    events = list(
        (
            await session.exec(
                select(WishEvent).where(col(WishEvent.wish_id) == wish.id).order_by(col(WishEvent.id))
            )
        ).all()
    )
    may_claim = await may_claim_dispatched(session, user=viewer, wish=wish)
    org = await session.get(Org, wish.org_id)
    poster = people[wish.poster_id]
    claimer = people[wish.claimer_id] if wish.claimer_id else None
    return _public(
        wish,
        viewer=viewer,
        staff=staff,
        poster=(poster.name, poster.phone),
        claimer=(claimer.name, claimer.phone) if claimer else None,
        org_name=org.name if org else None,
        events=events,
        actions=actions_for(wish, user=viewer, staff=staff, may_claim=may_claim),
    )


# A list is one statement: the columns a WishPublic needs, the place's name and the poster's and the
# claimer's name and phone joined in, read as rows (no Wish, User or Org objects). Issue 12: the wall was
# six statements (the person, their alliance's root, the org_id's node, the page, its people, its places).
_poster = aliased(User, name="wish_poster")
_claimer = aliased(User, name="wish_claimer")
_place = aliased(Org, name="wish_place")
_LISTING = (
    *(
        col(c)
        for c in (
            Wish.id,
            Wish.org_id,
            Wish.poster_id,
            Wish.claimer_id,
            Wish.title,
            Wish.description,
            Wish.category,
            Wish.status,
            Wish.deadline,
            Wish.child_name_enc,
            Wish.child_school_enc,
            Wish.photos,
            Wish.reject_reason,
            Wish.assigned_org_id,
            Wish.assigned_team_id,
            Wish.assigned_user_id,
            Wish.published_at,
            Wish.claimed_at,
            Wish.promise_date,
            Wish.done_note,
            Wish.minutes_spent,
            Wish.rating,
            Wish.comment,
            Wish.verified_at,
            Wish.credit_minutes,
            Wish.verify_note,
            Wish.created_at,
        )
    ),
    col(_place.name).label("org_name"),
    col(_poster.name).label("poster_name"),
    col(_poster.phone).label("poster_phone"),
    col(_claimer.name).label("claimer_name"),
    col(_claimer.phone).label("claimer_phone"),
)


def _listing(*extra: Any) -> Select[Any]:
    """The list statement: `_LISTING` (plus `extra` columns) with the people and the place joined in."""
    stmt: Any = (
        Select(*_LISTING, *extra)
        .select_from(Wish)
        .join(_poster, col(_poster.id) == col(Wish.poster_id))
        .outerjoin(_claimer, col(_claimer.id) == col(Wish.claimer_id))
        .outerjoin(_place, col(_place.id) == col(Wish.org_id))
    )
    return cast("Select[Any]", stmt)


async def _rows(session: AsyncSession, stmt: Select[Any], values: dict[str, Any]) -> list[Any]:
    """Run a built-once list statement on the session's connection, as Core: the rows need none of the
    ORM's result handling, which cost as much CPU as the rest of the request (SQLite 1.1-1.3 ms -> 0.55 ms
    for a page of 20). Anything pending is flushed first, as the session's autoflush would."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return list((await (await session.connection()).execute(stmt, values)).all())


def _row_public(row: Any, *, viewer: User, staff: bool) -> WishPublic:
    return _public(
        row,
        viewer=viewer,
        staff=staff,
        poster=(row.poster_name, row.poster_phone),
        claimer=(row.claimer_name, row.claimer_phone) if row.claimer_id else None,
        org_name=row.org_name,
    )


async def get_wish(session: AsyncSession, *, wish_id: int, actor: User) -> WishPublic:
    """One wish with its events; someone else's unpublished wish is 404."""
    wish, staff = await visible(session, wish_id=wish_id, user=actor)
    return await view(session, wish=wish, viewer=actor, staff=staff)


_VIEWER = bindparam("viewer_id", type_=Integer)


@functools.cache
def _list_statement(
    *, mine: bool, side: str | None, belongs: bool, org: bool, status: bool, category: bool, after: bool
) -> Select[Any]:
    """`list_wishes`'s statement for one shape of request, built once (issue 12: building it cost more
    CPU than running it); the values are bound at execution: viewer_id, own_id (the node the viewer
    belongs to), org_id, status, category, after (the cursor's id) and limit."""
    staff = covered_by_role(_VIEWER, Wish.org_id)
    ids: Any = select(col(Wish.id))
    posted, claimed = col(Wish.poster_id) == _VIEWER, col(Wish.claimer_id) == _VIEWER
    if mine:
        ids = ids.where(
            posted if side == "posted" else claimed if side == "claimed" else or_(posted, claimed)
        )
    else:
        public: ColumnElement[bool] = col(Wish.status).in_(tuple(PUBLIC_STATES))
        if belongs:  # someone who belongs nowhere yet sees every alliance's wall
            public = and_(
                public, in_subtree(Wish.org_id, alliance_path_sql(bindparam("own_id", type_=Integer)))
            )
        ids = ids.where(or_(public, posted, claimed, staff))
    if org:
        ids = ids.where(in_subtree(Wish.org_id, path_of(bindparam("org_id", type_=Integer))))
    if status:
        ids = ids.where(col(Wish.status) == bindparam("status", type_=String))
    if category:
        ids = ids.where(col(Wish.category) == bindparam("category", type_=String))
    if after:
        ids = ids.where(col(Wish.id) < bindparam("after", type_=Integer))
    return _page(ids, col(Wish.id).desc(), extra=(staff.label("is_staff"),))


def _page(ids: Any, *order: Any, extra: tuple[Any, ...] = ()) -> Select[Any]:
    """The page's ids first (filtered, ordered, limited: the planner cannot tell how many rows a subtree
    holds, and joined the people, the place and the staff check to every match before the limit: 17 ms
    for 4,800 wishes), then the listing for those ids alone."""
    page = ids.order_by(*order).limit(bindparam("limit", type_=Integer)).subquery("page")
    stmt: Any = _listing(*extra).join(page, page.c.id == col(Wish.id)).order_by(*order)
    return cast("Select[Any]", stmt)


async def list_wishes(
    session: AsyncSession,
    *,
    actor: User,
    params: PageParams,
    org_id: int | None = None,
    status: WishStatus | None = None,
    category: str | None = None,
    mine: bool = False,
    side: str | None = None,
) -> tuple[list[WishPublic], str | None]:
    """Wishes the actor may see: published ones for everyone, the rest for their poster and staff over them.

    `mine` keeps the actor's own wishes and claims (`side` = "posted" or "claimed" keeps one of them).
    One statement (`_list_statement`): the alliance's root and the org_id's node are subqueries; an
    unknown org_id is looked up (404) only when the page comes back empty.
    """
    own = belonging_org_id(actor)
    try:
        after = decode_cursor(params.cursor) if params.cursor else None
    except ValidationFailed:
        if org_id is not None:  # an unknown node is a 404 before a bad cursor's 422, as it always was
            await orgs_service.get_org(session, org_id=org_id)
        raise
    stmt = _list_statement(
        mine=mine,
        side=side if mine else None,
        belongs=not mine and own is not None,
        org=org_id is not None,
        status=status is not None,
        category=bool(category),
        after=after is not None,
    )
    values = {
        "viewer_id": actor.id,
        "own_id": own,
        "org_id": org_id,
        "status": status.value if status is not None else None,
        "category": category,
        "after": after,
        "limit": params.limit + 1,
    }
    rows, cursor = cut(await _rows(session, stmt, values), params)
    if not rows and org_id is not None:
        await orgs_service.get_org(session, org_id=org_id)
    return [_row_public(r, viewer=actor, staff=bool(r.is_staff)) for r in rows], cursor


@functools.cache
def _wall_statement(*, belongs: bool, home: bool, category: bool) -> Select[Any]:
    """`wall`'s statement for one shape, built once; bound at execution: own_id, home_id, category, limit."""
    ids: Any = select(col(Wish.id)).where(col(Wish.status) == S.published)
    if belongs:
        ids = ids.where(in_subtree(Wish.org_id, alliance_path_sql(bindparam("own_id", type_=Integer))))
    if category:
        ids = ids.where(col(Wish.category) == bindparam("category", type_=String))
    if home:
        home_path = path_of(bindparam("home_id", type_=Integer))
        return _page(ids, case((in_subtree(Wish.org_id, home_path), 0), else_=1), col(Wish.id).desc())
    return _page(ids, col(Wish.id).desc())


async def wall(
    session: AsyncSession, *, user: User, category: str | None = None, limit: int = 20
) -> list[WishPublic]:
    """Published wishes of the viewer's alliance, their own compound's first (the home page and /wishes).
    One statement: the alliance's root and the home's path are subqueries."""
    own = belonging_org_id(user)
    stmt = _wall_statement(
        belongs=own is not None, home=user.home_org_id is not None, category=bool(category)
    )
    values = {"own_id": own, "home_id": user.home_org_id, "category": category, "limit": limit}
    rows = await _rows(session, stmt, values)
    return [_row_public(r, viewer=user, staff=False) for r in rows]


async def queues(session: AsyncSession, *, user: User, limit: int = 50) -> dict[str, list[WishPublic]]:
    """The staff console: wishes to review, to verify, and done ones awaiting the poster, in the staff's subtrees."""
    staff = covered_by_role(cast(int, user.id), Wish.org_id)
    out = {}
    for key, status in (("review", S.submitted), ("verify", S.confirmed), ("awaiting_confirm", S.done)):
        stmt = _listing().where(col(Wish.status) == status, staff).order_by(col(Wish.id)).limit(limit)
        rows = (await session.exec(stmt)).all()
        out[key] = [_row_public(r, viewer=user, staff=True) for r in rows]
    return out


# ---- what the pages show ----


async def detail_page(session: AsyncSession, *, wish_id: int, user: User) -> dict:
    """The wish page: the wish as the viewer may see it, who did each step, and units to dispatch to."""
    wish, staff = await visible(session, wish_id=wish_id, user=user)
    public = await view(session, wish=wish, viewer=user, staff=staff)
    people = await lookups.users_by_id(session, {e.actor_id for e in public.events})
    choices, teams = [], []
    if "review" in public.actions:
        choices = await resources_service.dispatch_choices(
            session, org_id=wish.org_id, category=wish.category
        )
        teams = await teams_service.dispatch_choices(
            session, place=await orgs_service.get_org(session, org_id=wish.org_id)
        )
    return {
        "wish": public,
        "actor_names": {i: u.name for i, u in people.items()},
        "dispatch_choices": choices,
        "team_choices": teams,
        "staff": staff,
        "today": clock.today(),
    }


async def mine_page(session: AsyncSession, *, user: User, limit: int = 50) -> dict:
    """My wishes, my claims and my latest messages."""
    params = PageParams(limit=limit)
    posted, _ = await list_wishes(session, actor=user, params=params, mine=True, side="posted")
    claimed, _ = await list_wishes(session, actor=user, params=params, mine=True, side="claimed")
    messages, _ = await notify_service.list_mine(
        session, user=user, unread=False, params=PageParams(limit=10)
    )
    return {"posted": posted, "claimed": claimed, "messages": messages}
