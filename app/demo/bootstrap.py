"""The first administrator, made from the command line."""

import re
from typing import cast

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import ValidationFailed
from app.models.org import Org, OrgKind
from app.models.user import PHONE_PATTERN
from app.services import audit
from app.services import orgs as orgs_service
from app.services import users as users_service


async def create_admin(
    session: AsyncSession, *, phone: str, name: str, alliance_name: str
) -> tuple[int, int]:
    """Admin on the root alliance (created if none); returns (user id, alliance id). Safe to repeat."""
    phone, name = phone.strip(), name.strip()
    if not re.fullmatch(PHONE_PATTERN, phone):
        raise ValidationFailed(
            f"手机号“{phone}”格式不正确，请输入11位手机号，如 13900000000", code="invalid_phone"
        )
    if not 1 <= len(name) <= 50:
        raise ValidationFailed("请填写管理员姓名（1–50个字）", code="invalid_name")
    root = (
        await session.exec(
            select(Org)
            .where(col(Org.kind) == OrgKind.alliance, col(Org.parent_id).is_(None))
            .order_by(col(Org.id))
            .limit(1)
        )
    ).first()
    if root is None:
        root = await orgs_service.add_org(session, name=alliance_name, kind=OrgKind.alliance, parent=None)
    user = await users_service.get_or_create_by_phone(session, phone=phone, name=name)
    user.name = name
    session.add(user)
    await orgs_service.grant_role(
        session, user_id=cast(int, user.id), org_id=cast(int, root.id), role="admin"
    )
    # No one signed in did this: the command line is the actor (actor_id None).
    await audit.record(
        session,
        actor_id=None,
        action="role.bootstrap_admin",
        object_type="user",
        object_id=user.id,
        org_id=root.id,
        detail={"role": "admin", "via": "cli"},
    )
    await session.commit()
    return cast(int, user.id), cast(int, root.id)
