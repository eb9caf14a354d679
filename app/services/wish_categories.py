"""Wish categories: the defaults (生活服务, 物资, 助老 …) or an alliance's own list."""

from typing import cast

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import ValidationFailed
from app.models.org import Org
from app.models.user import User
from app.models.wishes import CATEGORIES, WishCategory
from app.permissions import alliance_id
from app.services import alliance_settings, audit, content


async def categories_for(session: AsyncSession, *, org_id: int | None) -> list[str]:
    """The categories in use where `org_id` sits: its alliance's own list, else the defaults."""
    org = await session.get(Org, org_id) if org_id else None
    if org is None:
        return list(CATEGORIES)
    names = (
        await session.exec(
            select(WishCategory.name)
            .where(WishCategory.alliance_id == alliance_id(org))
            .order_by(col(WishCategory.sort), col(WishCategory.id))
        )
    ).all()
    return list(names) or list(CATEGORIES)


async def require_category(session: AsyncSession, *, org_id: int, category: str) -> None:
    """422 `invalid_category` unless the category is offered where `org_id` sits."""
    if category not in await categories_for(session, org_id=org_id):
        raise ValidationFailed("请选择心愿类别", code="invalid_category")


async def set_categories(
    session: AsyncSession, *, alliance_id: int, names: list[str], actor: User
) -> list[str]:
    """An alliance admin replaces the alliance's category list (existing wishes keep theirs)."""
    alliance = await alliance_settings.admin_alliance(session, alliance_id=alliance_id, actor=actor)
    unique = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not unique:
        raise ValidationFailed("至少保留一个类别", code="categories_required")
    content.check_text(*unique)
    await session.exec(delete(WishCategory).where(col(WishCategory.alliance_id) == alliance.id))
    for i, name in enumerate(unique):
        session.add(WishCategory(alliance_id=cast(int, alliance.id), name=name, sort=i))
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action="wish.categories",
        object_type="org",
        object_id=alliance.id,
        org_id=alliance.id,
        detail={"names": unique},
    )
    await session.commit()
    return unique
