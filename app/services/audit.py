"""The audit log of staff and admin writes."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.audit import AuditLog


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    org_id: int | None = None,
    on_behalf_of_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row to the caller's transaction (it commits with the change it describes)."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        org_id=org_id,
        on_behalf_of_id=on_behalf_of_id,
        detail=detail or {},
    )
    session.add(row)
    await session.flush()
    return row
