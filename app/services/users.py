"""People: finding or creating them by phone, their profile and roles."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound, ValidationFailed
from app.models.org import Org, OrgKind, RolePublic
from app.models.user import MePublic, MeUpdate, User
from app.permissions import roles_of


async def get_or_create_by_phone(session: AsyncSession, *, phone: str, name: str = "") -> User:
    """The user with this phone, created on first sight (flushes, never commits)."""
    user = (await session.exec(select(User).where(User.phone == phone))).first()
    if user:
        return user
    user = User(phone=phone, name=name or f"用户{phone[-4:]}")
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


async def update_profile(session: AsyncSession, *, user: User, data: MeUpdate) -> MePublic:
    """Change the fields a person may set on themselves."""
    changes = data.model_dump(exclude_unset=True)
    if "home_org_id" in changes and changes["home_org_id"] is not None:
        org = await session.get(Org, changes["home_org_id"])
        if org is None or org.kind not in (OrgKind.compound, OrgKind.community, OrgKind.grid):
            raise ValidationFailed("请选择所在的社区、小区或网格", code="invalid_home_org")
    if changes.get("is_party_member") is False:
        changes["member_type"] = None
    for key, value in changes.items():
        setattr(user, key, value)
    session.add(user)
    await session.commit()
    return await profile(session, user=user)
