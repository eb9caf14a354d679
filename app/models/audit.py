"""The audit log: who did what to which object, when."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_logs"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = CreatedAt()
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    on_behalf_of_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40)
    object_id: int | None = None
    org_id: int | None = Field(default=None, foreign_key="orgs.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
