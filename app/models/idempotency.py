"""The Idempotency-Key store: a money-moving request's key and the first response it got."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import CreatedAt


class IdempotencyKey(SQLModel, table=True):
    """A money-moving request's key and the first response it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "route", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100)
    user_id: int = Field(foreign_key="users.id")
    route: str = Field(max_length=100)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = CreatedAt()
