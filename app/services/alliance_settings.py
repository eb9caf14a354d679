"""An alliance's own settings rows (claim limits, time-bank rules, member settings): one way to save them.

Each is one row per alliance (`alliance_id` unique, defaults until an admin saves it). Saving finds the
alliance (a root node), requires its admin, upserts the row, stamps it and audits what was set.
"""

from typing import Any, TypeVar, cast

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app import clock
from app.errors import NotFound
from app.models.org import Org, OrgKind
from app.models.user import User
from app.permissions import ADMIN_ONLY, require_role_over
from app.services import audit

Row = TypeVar("Row", bound=SQLModel)


async def get_alliance(session: AsyncSession, *, alliance_id: int) -> Org:
    """The alliance (a root node) by id; 404 `org_not_found` for any other node or none."""
    org = await session.get(Org, alliance_id)
    if org is None or org.kind != OrgKind.alliance:
        raise NotFound("联盟不存在", code="org_not_found")
    return org


async def admin_alliance(session: AsyncSession, *, alliance_id: int, actor: User) -> Org:
    """The alliance, for its admins only (404 if it is none, 403 if the actor is not its admin)."""
    alliance = await get_alliance(session, alliance_id=alliance_id)
    await require_role_over(session, user_id=cast(int, actor.id), org_id=alliance_id, roles=ADMIN_ONLY)
    return alliance


async def save(
    session: AsyncSession,
    *,
    model: type[Row],
    alliance_id: int,
    values: dict[str, Any],
    actor: User,
    action: str,
) -> Row:
    """An alliance admin sets `values` on the alliance's `model` row (made if none yet), stamped with
    the time (and who, where the row records it), audited as `action`; commits."""
    await admin_alliance(session, alliance_id=alliance_id, actor=actor)
    table: Any = model  # a settings table: it has alliance_id, known only at run time
    row: Any = (
        await session.exec(select(model).where(col(table.alliance_id) == alliance_id).with_for_update())
    ).first() or model(alliance_id=alliance_id)
    for name, value in values.items():
        setattr(row, name, value)
    if hasattr(row, "updated_by"):
        row.updated_by = actor.id
    row.updated_at = clock.now()
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor.id,
        action=action,
        object_type="org",
        object_id=alliance_id,
        org_id=alliance_id,
        detail=values,
    )
    await session.commit()
    result: Row = row
    return result
