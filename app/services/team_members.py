"""Team membership: asking to join, the leader's approval or invitation, leaving and removal.

`invited → active` when the person accepts, `pending → active` when the leader (or staff) approves; the
leader is a member from the start and cannot be removed, only replaced (`teams.update_team`).
"""

from typing import cast

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, InvalidState, NotFound
from app.models.teams import MemberStatus, TeamMember, TeamMemberPublic
from app.models.user import User
from app.services import audit, lookups
from app.services import users as users_service
from app.services.teams import get_team, get_visible_team, membership, require_manager, set_active, tell


async def join(session: AsyncSession, *, team_id: int, actor: User) -> TeamMemberPublic:
    """Ask to join (→ pending, the leader decides) or accept an invitation (→ active); a team of another
    alliance is not there to join (404), unless it invited the person."""
    team = await get_visible_team(session, team_id=team_id, user=actor)
    if not team.active:
        raise InvalidState("该队伍已停用", code="invalid_state")
    row = await membership(session, team_id=cast(int, team.id), user_id=cast(int, actor.id))
    if row is not None and row.status == MemberStatus.active:
        raise Conflict("您已是该队队员", code="already_team_member")
    if row is not None and row.status == MemberStatus.pending:
        raise Conflict("您已提交申请，请等待队长审核", code="join_pending")
    if row is not None:  # invited: accepting makes them a member
        await set_active(session, team_id=cast(int, team.id), user_id=cast(int, actor.id))
        await tell(
            session,
            team,
            user_id=team.leader_id,
            title="队员已接受邀请",
            body=f"{actor.name}加入了“{team.name}”",
        )
        status = MemberStatus.active
    else:
        try:
            async with session.begin_nested():
                session.add(
                    TeamMember(
                        team_id=cast(int, team.id), user_id=cast(int, actor.id), status=MemberStatus.pending
                    )
                )
                await session.flush()
        except IntegrityError as exc:
            raise Conflict("您已提交申请，请等待队长审核", code="join_pending") from exc
        await tell(
            session,
            team,
            user_id=team.leader_id,
            title="有人申请入队",
            body=f"{actor.name}申请加入“{team.name}”，请审核",
        )
        status = MemberStatus.pending
    await session.commit()
    return TeamMemberPublic(user_id=cast(int, actor.id), name=actor.name, phone=actor.phone, status=status)


async def approve(session: AsyncSession, *, team_id: int, user_id: int, actor: User) -> TeamMemberPublic:
    """The leader (or staff) accepts a request to join: pending → active."""
    team = await get_team(session, team_id=team_id)
    staff = await require_manager(session, team, actor)
    row = await membership(session, team_id=cast(int, team.id), user_id=user_id)
    if row is None:
        raise NotFound("没有该入队申请", code="team_member_not_found")
    if row.status != MemberStatus.pending:
        raise InvalidState("只能审核待审核的入队申请")
    done = await session.exec(
        update(TeamMember)
        .where(col(TeamMember.id) == row.id, col(TeamMember.status) == MemberStatus.pending)
        .values(status=MemberStatus.active, joined_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise InvalidState("该申请刚刚已被处理")
    await audit.record(
        session,
        actor_id=actor.id,
        action="team.approve",
        object_type="team",
        object_id=team.id,
        org_id=team.org_id,
        detail={"user_id": user_id},
    )
    await tell(session, team, user_id=user_id, title="入队申请已通过", body=f"欢迎加入“{team.name}”")
    await session.commit()
    person = await session.get(User, user_id)
    assert person is not None  # the member just approved is a stored user
    return TeamMemberPublic(
        user_id=cast(int, person.id),
        name=person.name,
        phone=lookups.shown_phone(person.phone, full=staff),
        status=MemberStatus.active,
    )


async def invite(session: AsyncSession, *, team_id: int, phone: str, actor: User) -> TeamMemberPublic:
    """The leader (or staff) invites someone by phone; they join by accepting (POST /teams/{id}/join)."""
    team = await get_team(session, team_id=team_id)
    staff = await require_manager(session, team, actor)
    if not team.active:
        raise InvalidState("该队伍已停用")
    person = await users_service.get_or_create_by_phone(session, phone=phone)
    row = await membership(session, team_id=cast(int, team.id), user_id=cast(int, person.id))
    if row is not None and row.status == MemberStatus.active:
        raise Conflict("对方已是该队队员", code="already_team_member")
    if row is not None and row.status == MemberStatus.pending:  # they asked already: inviting approves them
        await set_active(session, team_id=cast(int, team.id), user_id=cast(int, person.id))
        status = MemberStatus.active
    elif row is None:
        session.add(
            TeamMember(team_id=cast(int, team.id), user_id=cast(int, person.id), status=MemberStatus.invited)
        )
        await session.flush()
        status = MemberStatus.invited
    else:
        status = MemberStatus.invited
    await audit.record(
        session,
        actor_id=actor.id,
        action="team.invite",
        object_type="team",
        object_id=team.id,
        org_id=team.org_id,
        detail={"user_id": person.id},
    )
    await tell(
        session,
        team,
        user_id=cast(int, person.id),
        title="邀请您加入队伍",
        body=f"{actor.name}邀请您加入“{team.name}”",
    )
    await session.commit()
    return TeamMemberPublic(
        user_id=cast(int, person.id),
        name=person.name,
        phone=lookups.shown_phone(person.phone, full=staff),
        status=status,
    )


async def remove(session: AsyncSession, *, team_id: int, user_id: int, actor: User) -> None:
    """Take someone out of the team (leader or staff), or leave it yourself; the leader stays until replaced."""
    team = await get_team(session, team_id=team_id)
    if actor.id != user_id:
        await require_manager(session, team, actor)
    row = await membership(session, team_id=cast(int, team.id), user_id=user_id)
    if row is None:
        raise NotFound("该成员不在队伍中", code="team_member_not_found")
    if user_id == team.leader_id:
        raise Conflict("队长不能退出或被移除，请先更换队长", code="cannot_remove_leader")
    await session.delete(row)
    await session.flush()
    if actor.id != user_id:
        await audit.record(
            session,
            actor_id=actor.id,
            action="team.remove",
            object_type="team",
            object_id=team.id,
            org_id=team.org_id,
            detail={"user_id": user_id},
        )
        await tell(
            session, team, user_id=user_id, title="您已离开队伍", body=f"您已不再是“{team.name}”的队员"
        )
    await session.commit()
