"""The first administrator, made from the command line."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.org import Org, OrgKind
from app.services import orgs as orgs_service
from app.services import users as users_service


async def create_admin(session: AsyncSession, *, phone: str, name: str, alliance_name: str) -> tuple[int, int]:
    """Admin on the root alliance (created if none); returns (user id, alliance id)."""
    root = (await session.exec(
        select(Org).where(Org.kind == OrgKind.alliance, Org.parent_id.is_(None)).order_by(Org.id).limit(1)
    )).first()
    if root is None:
        root = await orgs_service.add_org(session, name=alliance_name, kind=OrgKind.alliance, parent=None)
    user = await users_service.get_or_create_by_phone(session, phone=phone, name=name)
    user.name = name
    session.add(user)
    await orgs_service.grant_role(session, user_id=user.id, org_id=root.id, role="admin")
    await session.commit()
    return user.id, root.id
