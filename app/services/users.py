"""People: finding or creating them by phone, their profile and roles."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import Conflict, NotFound, ValidationFailed
from app.models.org import Org, OrgKind, RolePublic
from app.models.user import MePublic, MeUpdate, ProfileCorrection, User
from app.permissions import (
    ADMIN_ONLY,
    alliance_id,
    belonging_org_id,
    has_role_over,
    may_act_for,
    require_role_over,
    roles_of,
)
from app.services import audit


def default_name(phone: str | None) -> str:
    """What a person is called until they say their name: 用户 and the phone's last four digits."""
    return f"用户{(phone or '')[-4:]}"


async def get_or_create_by_phone(
    session: AsyncSession, *, phone: str, name: str = "", registered_at: int | None = None
) -> User:
    """The user with this phone, created on first sight (flushes, never commits).

    `registered_at` is the node whose staff are bringing the person in (the activity, station,
    wish or role): a person with no home belongs there (`permissions.belonging_org_id`), the first
    such node only.
    """
    user = (await session.exec(select(User).where(User.phone == phone))).first()
    if user:
        if registered_at is not None and user.home_org_id is None and user.registered_org_id is None:
            user.registered_org_id = registered_at
            session.add(user)
        return user
    user = User(phone=phone, name=name or default_name(phone), registered_org_id=registered_at)
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:  # someone else created them in the same instant
        user = (await session.exec(select(User).where(User.phone == phone))).one()
    return user


async def get_by_phone(session: AsyncSession, *, phone: str) -> User:
    user = (await session.exec(select(User).where(User.phone == phone))).first()
    if user is None:
        raise NotFound("没有找到该手机号对应的用户", code="user_not_found")
    return user


async def profile(session: AsyncSession, *, user: User) -> MePublic:
    """The user's own profile with their roles."""
    roles = await roles_of(session, user_id=user.id)
    return MePublic(
        id=user.id,
        name=user.name,
        phone=user.phone,
        home_org_id=user.home_org_id,
        is_party_member=user.is_party_member,
        member_type=user.member_type,
        skills=list(user.skills),
        elderly_mode=user.elderly_mode,
        roles=[RolePublic(org_id=r.org_id, role=r.role) for r in roles],
    )


# Rules read these (which alliance's policy binds a person, who may act for them, the redeem age):
# a person sets each once, and only staff change it after that (`correct_profile`), with a reason.
LOCKED_ONCE_SET = {"home_org_id": "所在小区", "birth_year": "出生年份"}


async def _check_home(session: AsyncSession, org_id: int) -> Org:
    org = await session.get(Org, org_id)
    if org is None or org.kind not in (OrgKind.compound, OrgKind.community, OrgKind.grid):
        raise ValidationFailed("请选择所在的社区、小区或网格", code="invalid_home_org")
    return org


async def update_profile(session: AsyncSession, *, user: User, data: MeUpdate) -> MePublic:
    """Change the fields a person may set on themselves (home and birth year only while unset)."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("home_org_id") is not None:
        await _check_home(session, changes["home_org_id"])
    for field, label in LOCKED_ONCE_SET.items():
        if field in changes and getattr(user, field) is not None and changes[field] != getattr(user, field):
            raise Conflict(
                f"{label}设定后不能自行更改，如需更改请联系社区工作人员", code="profile_field_locked"
            )
    if changes.get("is_party_member") is False:
        changes["member_type"] = None
    for key, value in changes.items():
        setattr(user, key, value)
    session.add(user)
    await session.commit()
    return await profile(session, user=user)


async def set_blocked(session: AsyncSession, *, user_id: int, reason: str | None, actor: User) -> None:
    """An admin over the node a person belongs to stops (reason given) or restores (None) their account.

    Stopping revokes every token at once (the token version moves on) and refuses sign-in until restored.
    """
    person = await session.get(User, user_id)
    if person is None or not await may_act_for(session, actor_id=actor.id, person=person):
        raise NotFound("用户不存在", code="user_not_found")
    await require_role_over(session, user_id=actor.id, org_id=belonging_org_id(person), roles=ADMIN_ONLY)
    values: dict[str, Any] = (
        {"blocked_at": clock.now(), "blocked_reason": reason}
        if reason
        else {"blocked_at": None, "blocked_reason": None}
    )
    if reason:
        values["token_version"] = User.token_version + 1
    await session.exec(update(User).where(User.id == person.id).values(**values))
    await audit.record(
        session,
        actor_id=actor.id,
        action="user.block" if reason else "user.unblock",
        object_type="user",
        object_id=person.id,
        org_id=belonging_org_id(person),
        on_behalf_of_id=person.id,
        detail={"reason": reason},
    )
    await session.commit()


async def correct_profile(
    session: AsyncSession, *, user_id: int, data: ProfileCorrection, actor: User
) -> MePublic:
    """Staff over the node a person belongs to change their home or birth year, audit-logged with the reason.

    A move must stay in the same alliance (another alliance's staff take the person in by their own
    registration); a person who belongs nowhere yet may be given a home by staff over that home.
    """
    person = await session.get(User, user_id)
    new_home = await _check_home(session, data.home_org_id) if data.home_org_id is not None else None
    if person is None:
        raise NotFound("用户不存在", code="user_not_found")
    if belonging_org_id(person) is None:
        allowed = new_home is not None and await has_role_over(session, user_id=actor.id, org_id=new_home.id)
    else:
        allowed = await may_act_for(session, actor_id=actor.id, person=person)
    if not allowed:
        raise NotFound("用户不存在", code="user_not_found")
    if new_home is not None and belonging_org_id(person) is not None:
        current = await session.get(Org, belonging_org_id(person))
        if current is None or alliance_id(current) != alliance_id(new_home):
            raise ValidationFailed("只能迁入本联盟的社区、小区或网格", code="invalid_home_org")
    before = {"home_org_id": person.home_org_id, "birth_year": person.birth_year}
    changes = data.model_dump(exclude_unset=True, exclude={"reason"}, exclude_none=True)
    for key, value in changes.items():
        setattr(person, key, value)
    session.add(person)
    await audit.record(
        session,
        actor_id=actor.id,
        action="user.correct_profile",
        object_type="user",
        object_id=person.id,
        org_id=belonging_org_id(person),
        on_behalf_of_id=person.id,
        detail={"before": before, "after": changes, "reason": data.reason},
    )
    await session.commit()
    return await profile(session, user=person)
