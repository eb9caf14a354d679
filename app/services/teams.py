"""Volunteer teams (志愿服务队, 党员先锋队): set up by staff on an org node, led by a leader, their figures.

Joining, approving, inviting and leaving are `team_members`. A wish dispatched to a team may be claimed
by its active members (`is_active_member`); an activity may be run by one (`organiser`).
"""

from typing import cast

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.activities import Activity
from app.models.org import Org
from app.models.teams import (
    TEAM_KIND_LABELS,
    MemberStatus,
    Team,
    TeamCreate,
    TeamKind,
    TeamMember,
    TeamMemberPublic,
    TeamPublic,
    TeamStats,
    TeamUpdate,
)
from app.models.user import User
from app.models.wishes import Wish
from app.pagination import PageParams, paginate
from app.permissions import (
    alliance_id,
    alliance_path_of,
    ancestor_path,
    has_role_over,
    in_subtree,
    may_see_published,
    published_to,
    require_role_over,
)
from app.services import audit, content, lookups
from app.services import notifications as notify_service
from app.services import orgs as orgs_service
from app.services import users as users_service

# A wish counts for its team once the help is given (done), and stays counted through confirm and verify.
DONE_STATES = ("done", "confirmed", "verified")


async def get_team(session: AsyncSession, *, team_id: int) -> Team:
    """The team, or 404."""
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("队伍不存在", code="team_not_found")
    return team


async def membership(session: AsyncSession, *, team_id: int, user_id: int) -> TeamMember | None:
    stmt = select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    return (await session.exec(stmt)).first()


async def get_visible_team(session: AsyncSession, *, team_id: int, user: User) -> Team:
    """The team, or 404 unless it is the user's to see: a team is for the people of its alliance
    (`may_see_published`) and for those it has already taken in or invited."""
    team = await get_team(session, team_id=team_id)
    if not await may_see_published(session, person=user, org_id=team.org_id) and (
        await membership(session, team_id=cast(int, team.id), user_id=cast(int, user.id)) is None
    ):
        raise NotFound("队伍不存在", code="team_not_found")
    return team


async def may_manage(session: AsyncSession, *, team: Team, user: User) -> bool:
    """The leader, or staff over the team's node."""
    return team.leader_id == user.id or await has_role_over(
        session, user_id=cast(int, user.id), org_id=team.org_id
    )


async def require_manager(session: AsyncSession, team: Team, user: User) -> bool:
    """Raise unless the user leads the team or is staff over it; returns whether they are staff."""
    staff = await has_role_over(session, user_id=cast(int, user.id), org_id=team.org_id)
    if not staff and team.leader_id != user.id:
        raise Forbidden("只有队长或社区工作人员可以管理队伍", code="not_team_manager")
    return staff


async def is_active_member(session: AsyncSession, *, team_id: int, user_id: int) -> bool:
    """Whether the person is an active member of the team (who may claim what is dispatched to it)."""
    row = await membership(session, team_id=team_id, user_id=user_id)
    return row is not None and row.status == MemberStatus.active


async def stats(session: AsyncSession, *, team_ids: list[int]) -> dict[int, TeamStats]:
    """Members, pending requests, wishes done for the team and the minutes they took, activities it ran, per team."""
    if not team_ids:
        return {}
    counts = (
        await session.exec(
            select(TeamMember.team_id, TeamMember.status, func.count())
            .where(col(TeamMember.team_id).in_(team_ids))
            .group_by(col(TeamMember.team_id), col(TeamMember.status))
        )
    ).all()
    served = (
        await session.exec(
            select(
                Wish.assigned_team_id,
                func.count(),
                func.coalesce(func.sum(func.coalesce(Wish.credit_minutes, Wish.minutes_spent)), 0),
            )
            .where(col(Wish.assigned_team_id).in_(team_ids), col(Wish.status).in_(DONE_STATES))
            .group_by(col(Wish.assigned_team_id))
        )
    ).all()
    held = (
        await session.exec(
            select(Activity.team_id, func.count())
            .where(col(Activity.team_id).in_(team_ids), col(Activity.starts_at) <= clock.now())
            .group_by(col(Activity.team_id))
        )
    ).all()
    out = {
        i: {"members": 0, "pending": 0, "wishes_done": 0, "minutes_served": 0, "activities": 0}
        for i in team_ids
    }
    # every row is grouped by one of team_ids, so its team id is stored
    for team_id, n in held:
        out[cast(int, team_id)]["activities"] = n
    for team_id, status, n in counts:
        if status == MemberStatus.active:
            out[team_id]["members"] = n
        elif status == MemberStatus.pending:
            out[team_id]["pending"] = n
    for team_id, n, minutes in served:
        out[cast(int, team_id)]["wishes_done"] = n
        out[cast(int, team_id)]["minutes_served"] = int(minutes or 0)
    return {i: TeamStats(**v, hours=round(v["minutes_served"] / 60, 1)) for i, v in out.items()}


async def _to_public(
    session: AsyncSession, teams: list[Team], *, viewer: User, detail: bool = False
) -> list[TeamPublic]:
    names = await lookups.org_names(session, [t.org_id for t in teams])
    leaders = await lookups.users_by_id(session, [t.leader_id for t in teams])
    mine: dict[int, MemberStatus] = {}
    if teams:
        rows = (
            await session.exec(
                select(TeamMember.team_id, TeamMember.status).where(
                    col(TeamMember.user_id) == viewer.id, col(TeamMember.team_id).in_([t.id for t in teams])
                )
            )
        ).all()
        mine = {team_id: MemberStatus(status) for team_id, status in rows}
    figures = await stats(session, team_ids=[cast(int, t.id) for t in teams])
    out = []
    for t in teams:
        tid = cast(int, t.id)
        public = TeamPublic(
            id=tid,
            org_id=t.org_id,
            org_name=names.get(t.org_id),
            name=t.name,
            kind=TeamKind(t.kind),
            kind_label=TEAM_KIND_LABELS.get(t.kind, t.kind),
            leader_id=t.leader_id,
            leader_name=leaders[t.leader_id].name if t.leader_id in leaders else None,
            skills=t.skills,
            service_area=t.service_area,
            description=t.description,
            active=t.active,
            created_at=t.created_at,
            my_status=mine.get(tid),
            stats=figures.get(tid),
        )
        if detail:
            manage = await may_manage(session, team=t, user=viewer)
            public.may_manage = manage
            public.members = await _members(session, t, viewer=viewer, manage=manage)
        out.append(public)
    return out


async def _members(
    session: AsyncSession, team: Team, *, viewer: User, manage: bool
) -> list[TeamMemberPublic]:
    """Active members for everyone; invitations and requests too for the leader and staff (phones to staff)."""
    stmt = select(TeamMember).where(TeamMember.team_id == team.id)
    if not manage:
        stmt = stmt.where(TeamMember.status == MemberStatus.active)
    rows = list((await session.exec(stmt.order_by(col(TeamMember.id)))).all())
    people = await lookups.users_by_id(session, [r.user_id for r in rows])
    staff = manage and await has_role_over(session, user_id=cast(int, viewer.id), org_id=team.org_id)
    out = []
    for r in rows:
        person = people[r.user_id]
        out.append(
            TeamMemberPublic(
                user_id=r.user_id,
                name=person.name,
                phone=lookups.shown_phone(person.phone, full=staff or person.id == viewer.id),
                status=MemberStatus(r.status),
                is_leader=r.user_id == team.leader_id,
            )
        )
    return out


async def view(session: AsyncSession, *, team: Team, viewer: User) -> TeamPublic:
    """One team with its members and figures, as the viewer may see it."""
    return (await _to_public(session, [team], viewer=viewer, detail=True))[0]


async def set_active(session: AsyncSession, *, team_id: int, user_id: int) -> None:
    """Make the person an active member (insert or upgrade their row)."""
    row = await membership(session, team_id=team_id, user_id=user_id)
    now = clock.now()
    if row is None:
        session.add(TeamMember(team_id=team_id, user_id=user_id, status=MemberStatus.active, joined_at=now))
    elif row.status != MemberStatus.active:
        row.status, row.joined_at = MemberStatus.active, now
        session.add(row)
    await session.flush()


async def create_team(session: AsyncSession, *, data: TeamCreate, actor: User) -> TeamPublic:
    """Set up a team on a node (staff over it); the leader is its first member."""
    org = await orgs_service.get_org(session, org_id=data.org_id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=cast(int, org.id))
    content.check_text(data.name, data.description, data.service_area)
    if data.leader_id is not None:
        leader = await session.get(User, data.leader_id)
    elif data.leader_phone:
        leader = await users_service.get_or_create_by_phone(session, phone=data.leader_phone)
    else:
        raise ValidationFailed("请指定队长", code="leader_required")
    if leader is None:
        raise ValidationFailed("找不到指定的队长", code="invalid_leader")
    team = Team(
        org_id=cast(int, org.id),
        name=data.name,
        kind=data.kind,
        leader_id=cast(int, leader.id),
        skills=list(dict.fromkeys(data.skills)),
        service_area=data.service_area,
        description=data.description,
        created_by_id=actor.id,
    )
    session.add(team)
    await session.flush()
    await set_active(session, team_id=cast(int, team.id), user_id=cast(int, leader.id))
    await audit.record(
        session,
        actor_id=actor.id,
        action="team.create",
        object_type="team",
        object_id=team.id,
        org_id=org.id,
        detail={"name": team.name, "kind": team.kind, "leader_id": leader.id},
    )
    if leader.id != actor.id:
        await tell(
            session,
            team,
            user_id=cast(int, leader.id),
            title="您被任命为队长",
            body=f"您已担任“{team.name}”的队长",
        )
    await session.commit()
    return await view(session, team=team, viewer=actor)


async def get_team_view(session: AsyncSession, *, team_id: int, actor: User) -> TeamPublic:
    """One team with its members and stats (the people of its alliance, its members, staff over it)."""
    return await view(
        session, team=await get_visible_team(session, team_id=team_id, user=actor), viewer=actor
    )


async def list_teams(
    session: AsyncSession, *, actor: User, params: PageParams, org_id: int | None = None, mine: bool = False
) -> tuple[list[TeamPublic], str | None]:
    """Active teams on a node and below (default: the person's alliance); `mine` keeps their own teams."""
    stmt = select(Team)
    if mine:
        stmt = stmt.where(
            col(Team.id).in_(select(col(TeamMember.team_id)).where(col(TeamMember.user_id) == actor.id))
        )
    else:
        stmt = stmt.where(col(Team.active).is_(True))
        seen = published_to(actor, await alliance_path_of(session, actor), Team.org_id)
        if seen is not None:  # their alliance's only (`may_see_published`)
            stmt = stmt.where(seen)
    if org_id is not None:
        org = await orgs_service.get_org(session, org_id=org_id)
        stmt = stmt.where(in_subtree(Team.org_id, org.path))
    elif not mine and actor.home_org_id:
        home = await session.get(Org, actor.home_org_id)
        if home is not None:
            stmt = stmt.where(in_subtree(Team.org_id, ancestor_path(home, 1)))
    rows, cursor = await paginate(session, stmt, Team.id, params, newest_first=False)
    return await _to_public(session, list(rows), viewer=actor), cursor


async def update_team(session: AsyncSession, *, team_id: int, data: TeamUpdate, actor: User) -> TeamPublic:
    """Change a team's details (leader or staff); only staff may hand over the lead or close the team."""
    team = await get_team(session, team_id=team_id)
    staff = await require_manager(session, team, actor)
    changes = data.model_dump(exclude_unset=True)
    if not staff and ({"leader_id", "active"} & set(changes)):
        raise Forbidden("更换队长或停用队伍需由社区工作人员操作", code="not_team_manager")
    content.check_text(changes.get("name"), changes.get("description"), changes.get("service_area"))
    if "leader_id" in changes and changes["leader_id"] != team.leader_id:
        leader = await session.get(User, changes["leader_id"])
        if leader is None:
            raise ValidationFailed("找不到指定的队长", code="invalid_leader")
        await set_active(session, team_id=cast(int, team.id), user_id=cast(int, leader.id))
    if "skills" in changes:
        changes["skills"] = list(dict.fromkeys(changes["skills"]))
    for field, value in changes.items():
        setattr(team, field, value)
    session.add(team)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="team.update",
        object_type="team",
        object_id=team.id,
        org_id=team.org_id,
        detail={k: v for k, v in changes.items() if k != "description"},
    )
    await session.commit()
    return await view(session, team=team, viewer=actor)


async def teams_of(session: AsyncSession, *, user_id: int) -> list[Team]:
    """The active teams the person is an active member of."""
    stmt = (
        select(Team)
        .join(TeamMember, col(TeamMember.team_id) == col(Team.id))
        .where(
            col(TeamMember.user_id) == user_id,
            col(TeamMember.status) == MemberStatus.active,
            col(Team.active).is_(True),
        )
        .order_by(col(Team.id))
    )
    return list((await session.exec(stmt)).all())


async def _serving(session: AsyncSession, *, team_id: int, place: Org) -> Team | None:
    """The team, if it is active and of the same alliance as `place`."""
    team = await session.get(Team, team_id)
    org = await session.get(Org, team.org_id) if team else None
    if team is None or not team.active or org is None or alliance_id(org) != alliance_id(place):
        return None
    return team


async def dispatch_target(session: AsyncSession, *, team_id: int, place: Org) -> Team:
    """The team a wish in `place` may be dispatched to: active and of the same alliance (422 otherwise)."""
    team = await _serving(session, team_id=team_id, place=place)
    if team is None:
        raise ValidationFailed("只能派单给本联盟在册的队伍", code="invalid_assign_team")
    return team


async def organiser(session: AsyncSession, *, team_id: int, place: Org) -> Team:
    """The team an activity in `place` may be run by: active and of the same alliance (422 otherwise)."""
    team = await _serving(session, team_id=team_id, place=place)
    if team is None:
        raise ValidationFailed("只能由本联盟在册的队伍承办", code="invalid_team")
    return team


async def active_member_ids(session: AsyncSession, *, team_id: int) -> list[int]:
    stmt = select(TeamMember.user_id).where(
        TeamMember.team_id == team_id, TeamMember.status == MemberStatus.active
    )
    return list((await session.exec(stmt.order_by(col(TeamMember.id)))).all())


async def dispatched_wishes(session: AsyncSession, *, team_id: int, limit: int = 20) -> list[Wish]:
    """Wishes dispatched to the team that wait for a member to claim them."""
    stmt = (
        select(Wish)
        .where(Wish.assigned_team_id == team_id, Wish.status == "published")
        .order_by(col(Wish.id).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def tell(session: AsyncSession, team: Team, *, user_id: int, title: str, body: str) -> None:
    await notify_service.notify(
        session,
        user_id=user_id,
        kind="team",
        title=title,
        body=body,
        link=f"/teams/{team.id}",
        ref_type="team",
        ref_id=team.id,
    )


async def dispatch_choices(session: AsyncSession, *, place: Org, limit: int = 100) -> list[Team]:
    """Teams a wish in `place` may be dispatched to: the active teams of its alliance, those of its own
    community first."""
    community = ancestor_path(place, 2)
    stmt = (
        select(Team)
        .where(col(Team.active).is_(True), in_subtree(col(Team.org_id), ancestor_path(place, 1)))
        .order_by(in_subtree(col(Team.org_id), community).desc(), col(Team.id))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


def active_in(*, org_path: str):
    """SQL: active teams on a subtree (for the figures)."""
    return select(func.count()).where(in_subtree(col(Team.org_id), org_path), col(Team.active).is_(True))


async def activities_run(session: AsyncSession, *, team_id: int, limit: int = 10) -> list[Activity]:
    """The activities the team runs, the latest first."""
    stmt = (
        select(Activity)
        .where(col(Activity.team_id) == team_id)
        .order_by(col(Activity.starts_at).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())
